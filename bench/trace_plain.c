/* trace_plain.c — the plain C program the start-up figure compares with. */
int main(void)
{
    return 0;
}
