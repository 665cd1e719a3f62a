#include "replay.h"
int cmd_minimize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return bad("minimize: not yet");
}
