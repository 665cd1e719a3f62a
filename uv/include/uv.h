/*
 * uv.h — libloop-uv: libuv 1.44.2's API (loop, handles, timers,
 * idle/prepare/check, async, poll, signal, work, tcp, pipe, streams, errors,
 * ip helpers) over libloop. Source compatible, not binary compatible: a libuv
 * program rebuilds unchanged against it
 * (cc app.c $(pkg-config --cflags --libs libloop-uv)).
 *
 * Written for libloop; libuv's own header was only the reference for names,
 * signatures, enum order, public fields and error values. Public fields come
 * first in every struct, as in libuv, so that static allocation and the
 * handle / stream / request casts work. Private fields are libloop-uv's own.
 *
 * Every uv_*_init is a macro that records the caller's file:line:function:
 * each uv handle is a libloop handle underneath (kind "defer", "async" or
 * "signal", named after its uv type), so traces, loopctl and leak reports of
 * a libuv program name the user's own source lines.
 *
 * What is declared but not implemented (udp, fs, tty, process, dns,
 * fs_event, fs_poll) returns UV_ENOSYS: see docs/uv.md.
 *
 * Why one file of about a thousand lines: it is an API, not code. A libuv
 * program includes <uv.h> and nothing else, and needs every type (all the
 * handle and request types, in libuv's enum order, for uv_handle_type_name
 * and the size queries), so the header is as long as the API it mirrors;
 * only the error values live apart (uv/errno.h), as in libuv.
 */
#ifndef UV_H
#define UV_H

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <pwd.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

#include <loop.h>

#include "uv/errno.h"

#ifdef __cplusplus
extern "C" {
#endif

#define UV_EXTERN __attribute__((visibility("default")))

#define UV_VERSION_MAJOR 1
#define UV_VERSION_MINOR 44
#define UV_VERSION_PATCH 2
#define UV_VERSION_IS_RELEASE 1
#define UV_VERSION_SUFFIX ""
#define UV_VERSION_HEX ((UV_VERSION_MAJOR << 16) | (UV_VERSION_MINOR << 8) | (UV_VERSION_PATCH))

/* ---------------------------------------------------------------------- */
/* Enumerations                                                            */

typedef enum {
#define UV__ERR_ENUM(A, name, value, msg) UV_##name = value,
    UV__ERRNO_LIST(UV__ERR_ENUM, _)
#undef UV__ERR_ENUM
    UV_ERRNO_MAX = UV__EOF - 1
} uv_errno_t;

/* Handle and request types, in libuv's order (names for the type-name calls). */
#define UV_HANDLE_TYPE_MAP(XX)                                                           \
    XX(ASYNC, async)                                                                     \
    XX(CHECK, check)                                                                     \
    XX(FS_EVENT, fs_event)                                                               \
    XX(FS_POLL, fs_poll)                                                                 \
    XX(HANDLE, handle)                                                                   \
    XX(IDLE, idle)                                                                       \
    XX(NAMED_PIPE, pipe)                                                                 \
    XX(POLL, poll)                                                                       \
    XX(PREPARE, prepare)                                                                 \
    XX(PROCESS, process)                                                                 \
    XX(STREAM, stream)                                                                   \
    XX(TCP, tcp)                                                                         \
    XX(TIMER, timer)                                                                     \
    XX(TTY, tty)                                                                         \
    XX(UDP, udp)                                                                         \
    XX(SIGNAL, signal)

#define UV_REQ_TYPE_MAP(XX)                                                              \
    XX(REQ, req)                                                                         \
    XX(CONNECT, connect)                                                                 \
    XX(WRITE, write)                                                                     \
    XX(SHUTDOWN, shutdown)                                                               \
    XX(UDP_SEND, udp_send)                                                               \
    XX(FS, fs)                                                                           \
    XX(WORK, work)                                                                       \
    XX(GETADDRINFO, getaddrinfo)                                                         \
    XX(GETNAMEINFO, getnameinfo)                                                         \
    XX(RANDOM, random)

typedef enum {
    UV_UNKNOWN_HANDLE = 0,
#define UV__HT(uc, lc) UV_##uc,
    UV_HANDLE_TYPE_MAP(UV__HT)
#undef UV__HT
    UV_FILE,
    UV_HANDLE_TYPE_MAX
} uv_handle_type;

typedef enum {
    UV_UNKNOWN_REQ = 0,
#define UV__RT(uc, lc) UV_##uc,
    UV_REQ_TYPE_MAP(UV__RT)
#undef UV__RT
    UV_REQ_TYPE_PRIVATE,
    UV_REQ_TYPE_MAX
} uv_req_type;

typedef enum { UV_LOOP_BLOCK_SIGNAL = 0, UV_METRICS_IDLE_TIME } uv_loop_option;

typedef enum { UV_RUN_DEFAULT = 0, UV_RUN_ONCE, UV_RUN_NOWAIT } uv_run_mode;

enum uv_poll_event {
    UV_READABLE = 1,
    UV_WRITABLE = 2,
    UV_DISCONNECT = 4,
    UV_PRIORITIZED = 8
};

enum uv_tcp_flags { UV_TCP_IPV6ONLY = 1 };

enum { UV_NONBLOCK_PIPE = 0x40 };

enum uv_udp_flags {
    UV_UDP_IPV6ONLY = 1,
    UV_UDP_PARTIAL = 2,
    UV_UDP_REUSEADDR = 4,
    UV_UDP_MMSG_CHUNK = 8,
    UV_UDP_MMSG_FREE = 16,
    UV_UDP_LINUX_RECVERR = 32,
    UV_UDP_RECVMMSG = 256
};

typedef enum {
    UV_FS_UNKNOWN = -1,
    UV_FS_CUSTOM,
    UV_FS_OPEN,
    UV_FS_CLOSE,
    UV_FS_READ,
    UV_FS_WRITE,
    UV_FS_SENDFILE,
    UV_FS_STAT,
    UV_FS_LSTAT,
    UV_FS_FSTAT,
    UV_FS_FTRUNCATE,
    UV_FS_UTIME,
    UV_FS_FUTIME,
    UV_FS_ACCESS,
    UV_FS_CHMOD,
    UV_FS_FCHMOD,
    UV_FS_FSYNC,
    UV_FS_FDATASYNC,
    UV_FS_UNLINK,
    UV_FS_RMDIR,
    UV_FS_MKDIR,
    UV_FS_MKDTEMP,
    UV_FS_RENAME,
    UV_FS_SCANDIR,
    UV_FS_LINK,
    UV_FS_SYMLINK,
    UV_FS_READLINK,
    UV_FS_CHOWN,
    UV_FS_FCHOWN,
    UV_FS_REALPATH,
    UV_FS_COPYFILE,
    UV_FS_LCHOWN,
    UV_FS_OPENDIR,
    UV_FS_READDIR,
    UV_FS_CLOSEDIR,
    UV_FS_STATFS,
    UV_FS_MKSTEMP,
    UV_FS_LUTIME
} uv_fs_type;

/* ---------------------------------------------------------------------- */
/* Types                                                                   */

typedef struct uv_loop_s uv_loop_t;
typedef struct uv_handle_s uv_handle_t;
typedef struct uv_stream_s uv_stream_t;
typedef struct uv_tcp_s uv_tcp_t;
typedef struct uv_udp_s uv_udp_t;
typedef struct uv_pipe_s uv_pipe_t;
typedef struct uv_tty_s uv_tty_t;
typedef struct uv_poll_s uv_poll_t;
typedef struct uv_timer_s uv_timer_t;
typedef struct uv_prepare_s uv_prepare_t;
typedef struct uv_check_s uv_check_t;
typedef struct uv_idle_s uv_idle_t;
typedef struct uv_async_s uv_async_t;
typedef struct uv_process_s uv_process_t;
typedef struct uv_fs_event_s uv_fs_event_t;
typedef struct uv_fs_poll_s uv_fs_poll_t;
typedef struct uv_signal_s uv_signal_t;

typedef struct uv_req_s uv_req_t;
typedef struct uv_getaddrinfo_s uv_getaddrinfo_t;
typedef struct uv_getnameinfo_s uv_getnameinfo_t;
typedef struct uv_shutdown_s uv_shutdown_t;
typedef struct uv_write_s uv_write_t;
typedef struct uv_connect_s uv_connect_t;
typedef struct uv_udp_send_s uv_udp_send_t;
typedef struct uv_fs_s uv_fs_t;
typedef struct uv_work_s uv_work_t;
typedef struct uv_random_s uv_random_t;

typedef struct uv_cpu_info_s uv_cpu_info_t;
typedef struct uv_interface_address_s uv_interface_address_t;
typedef struct uv_dirent_s uv_dirent_t;
typedef struct uv_passwd_s uv_passwd_t;
typedef struct uv_utsname_s uv_utsname_t;

/* Unix flavours of libuv's portable types. */
typedef struct uv_buf_t {
    char *base;
    size_t len;
} uv_buf_t;
typedef int uv_file;
typedef int uv_os_sock_t;
typedef int uv_os_fd_t;
typedef pid_t uv_pid_t;
typedef uid_t uv_uid_t;
typedef gid_t uv_gid_t;
typedef pthread_t uv_thread_t;
typedef pthread_mutex_t uv_mutex_t;
typedef pthread_rwlock_t uv_rwlock_t;
typedef sem_t uv_sem_t;
typedef pthread_cond_t uv_cond_t;
typedef pthread_key_t uv_key_t;
typedef pthread_once_t uv_once_t;
/* A barrier that may be destroyed as soon as one waiter returned. */
typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    unsigned int threshold;
    unsigned int in;
    unsigned int out;
} uv_barrier_t;
typedef void *uv_lib_t;
#define UV_ONCE_INIT PTHREAD_ONCE_INIT

typedef struct {
    long tv_sec;
    long tv_nsec;
} uv_timespec_t;

typedef struct {
    uint64_t st_dev;
    uint64_t st_mode;
    uint64_t st_nlink;
    uint64_t st_uid;
    uint64_t st_gid;
    uint64_t st_rdev;
    uint64_t st_ino;
    uint64_t st_size;
    uint64_t st_blksize;
    uint64_t st_blocks;
    uint64_t st_flags;
    uint64_t st_gen;
    uv_timespec_t st_atim;
    uv_timespec_t st_mtim;
    uv_timespec_t st_ctim;
    uv_timespec_t st_birthtim;
} uv_stat_t;

/* Callbacks */
typedef void (*uv_alloc_cb)(uv_handle_t *handle, size_t suggested_size, uv_buf_t *buf);
typedef void (*uv_read_cb)(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
typedef void (*uv_write_cb)(uv_write_t *req, int status);
typedef void (*uv_connect_cb)(uv_connect_t *req, int status);
typedef void (*uv_shutdown_cb)(uv_shutdown_t *req, int status);
typedef void (*uv_connection_cb)(uv_stream_t *server, int status);
typedef void (*uv_close_cb)(uv_handle_t *handle);
typedef void (*uv_poll_cb)(uv_poll_t *handle, int status, int events);
typedef void (*uv_timer_cb)(uv_timer_t *handle);
typedef void (*uv_async_cb)(uv_async_t *handle);
typedef void (*uv_prepare_cb)(uv_prepare_t *handle);
typedef void (*uv_check_cb)(uv_check_t *handle);
typedef void (*uv_idle_cb)(uv_idle_t *handle);
typedef void (*uv_exit_cb)(uv_process_t *, int64_t exit_status, int term_signal);
typedef void (*uv_walk_cb)(uv_handle_t *handle, void *arg);
typedef void (*uv_fs_cb)(uv_fs_t *req);
typedef void (*uv_work_cb)(uv_work_t *req);
typedef void (*uv_after_work_cb)(uv_work_t *req, int status);
typedef void (*uv_getaddrinfo_cb)(uv_getaddrinfo_t *req, int status, struct addrinfo *res);
typedef void (*uv_getnameinfo_cb)(uv_getnameinfo_t *req, int status, const char *hostname,
                                  const char *service);
typedef void (*uv_random_cb)(uv_random_t *req, int status, void *buf, size_t buflen);
typedef void (*uv_fs_event_cb)(uv_fs_event_t *handle, const char *filename, int events,
                               int status);
typedef void (*uv_fs_poll_cb)(uv_fs_poll_t *handle, int status, const uv_stat_t *prev,
                              const uv_stat_t *curr);
typedef void (*uv_signal_cb)(uv_signal_t *handle, int signum);
typedef void (*uv_udp_send_cb)(uv_udp_send_t *req, int status);
typedef void (*uv_udp_recv_cb)(uv_udp_t *handle, ssize_t nread, const uv_buf_t *buf,
                               const struct sockaddr *addr, unsigned flags);
typedef void (*uv_thread_cb)(void *arg);

/* ---------------------------------------------------------------------- */
/* Private building blocks                                                 */

/* private: an intrusive queue node, as libuv's "void *queue[2]" */
typedef struct uv__queue_s {
    struct uv__queue_s *next;
    struct uv__queue_s *prev;
} uv__queue_t;

struct uv__io_s;
typedef void (*uv__io_cb)(uv_loop_t *loop, struct uv__io_s *w, unsigned int events);

/* private: one fd watched by the loop's epoll set */
typedef struct uv__io_s {
    uv__io_cb cb;
    uv_handle_t *handle; /* whose shadow dispatches cb */
    uv__queue_t pending_queue;
    unsigned int pevents; /* wanted */
    unsigned int events;  /* registered with epoll */
    int fd;
} uv__io_t;

/* private: the libloop handle underneath every uv handle */
typedef union uv__shadow_u {
    loop_handle_t handle;
    loop_defer_t defer;
    loop_io_t io; /* a defer shadow poses as an io watcher while it dispatches readiness */
    loop_async_t async;
    loop_signal_t signal;
} uv__shadow_t;

/* ---------------------------------------------------------------------- */
/* The loop                                                                */

struct uv_loop_s {
    /* public */
    void *data;
    /* read-only */
    unsigned int active_handles;
    void *handle_queue[2];
    union {
        void *unused;
        unsigned int count;
    } active_reqs;
    void *internal_fields;
    unsigned int stop_flag;
    /* private */
    loop_t *ll;                /* the libloop loop underneath */
    int backend_fd;            /* epoll: uv io watchers and ll's own epoll fd */
    unsigned int flags;
    uint64_t time;             /* ms, cached */
    uv__queue_t pending_queue; /* uv__io_t fed for the pending phase */
    uv__queue_t idle_handles;
    uv__queue_t prepare_handles;
    uv__queue_t check_handles;
    uv__io_t **watchers;       /* by fd */
    unsigned int nwatchers;
    unsigned int closing_count;
    void **timer_heap;         /* min-heap of uv_timer_t */
    unsigned int timer_len;
    unsigned int timer_cap;
    uint64_t timer_counter;
    int emfile_fd;
    uv__io_t ll_watcher;       /* ll's epoll fd inside backend_fd */
    void *poll_events;         /* the epoll batch being dispatched */
    int poll_nevents;
    void (*dispatch_fn)(uv_handle_t *, void *);
    void *dispatch_arg;
};

/* ---------------------------------------------------------------------- */
/* Handles                                                                 */

#define UV_HANDLE_FIELDS                                                                 \
    /* public */                                                                         \
    void *data;                                                                          \
    /* read-only */                                                                      \
    uv_loop_t *loop;                                                                     \
    uv_handle_type type;                                                                 \
    /* private */                                                                        \
    uv_close_cb close_cb;                                                                \
    void *handle_queue[2];                                                               \
    union {                                                                              \
        int fd;                                                                          \
        void *reserved[4];                                                               \
    } u;                                                                                 \
    unsigned int flags;                                                                  \
    uv__shadow_t ll;

struct uv_handle_s {
    UV_HANDLE_FIELDS
};

#define UV_STREAM_FIELDS                                                                 \
    /* read-only */                                                                      \
    size_t write_queue_size;                                                             \
    uv_alloc_cb alloc_cb;                                                                \
    uv_read_cb read_cb;                                                                  \
    /* private */                                                                        \
    uv_connect_t *connect_req;                                                           \
    uv_shutdown_t *shutdown_req;                                                         \
    uv__io_t io_watcher;                                                                 \
    uv__queue_t write_queue;                                                             \
    uv__queue_t write_completed_queue;                                                   \
    uv_connection_cb connection_cb;                                                      \
    int delayed_error;                                                                   \
    int accepted_fd;                                                                     \
    void *queued_fds;

struct uv_stream_s {
    UV_HANDLE_FIELDS
    UV_STREAM_FIELDS
};

struct uv_tcp_s {
    UV_HANDLE_FIELDS
    UV_STREAM_FIELDS
};

struct uv_pipe_s {
    UV_HANDLE_FIELDS
    UV_STREAM_FIELDS
    int ipc; /* read-only */
    /* private */
    const char *pipe_fname;
};

struct uv_tty_s {
    UV_HANDLE_FIELDS
    UV_STREAM_FIELDS
    struct termios orig_termios;
    int mode;
};

struct uv_poll_s {
    UV_HANDLE_FIELDS
    uv_poll_cb poll_cb;
    uv__io_t io_watcher;
};

struct uv_timer_s {
    UV_HANDLE_FIELDS
    uv_timer_cb timer_cb;
    unsigned int heap_index; /* private: position + 1 in the heap, 0 when not queued */
    uint64_t timeout;
    uint64_t repeat;
    uint64_t start_id;
};

struct uv_prepare_s {
    UV_HANDLE_FIELDS
    uv_prepare_cb prepare_cb;
    uv__queue_t queue;
};

struct uv_check_s {
    UV_HANDLE_FIELDS
    uv_check_cb check_cb;
    uv__queue_t queue;
};

struct uv_idle_s {
    UV_HANDLE_FIELDS
    uv_idle_cb idle_cb;
    uv__queue_t queue;
};

struct uv_async_s {
    UV_HANDLE_FIELDS
    uv_async_cb async_cb;
};

struct uv_signal_s {
    UV_HANDLE_FIELDS
    uv_signal_cb signal_cb;
    int signum;
};

struct uv_udp_s {
    UV_HANDLE_FIELDS
    size_t send_queue_size;
    size_t send_queue_count;
    uv__io_t io_watcher;
};

struct uv_process_s {
    UV_HANDLE_FIELDS
    uv_exit_cb exit_cb;
    int pid;
};

struct uv_fs_event_s {
    UV_HANDLE_FIELDS
    char *path;
    uv_fs_event_cb cb;
};

struct uv_fs_poll_s {
    UV_HANDLE_FIELDS
    void *poll_ctx;
};

/* ---------------------------------------------------------------------- */
/* Requests                                                                */

#define UV_REQ_FIELDS                                                                    \
    /* public */                                                                         \
    void *data;                                                                          \
    /* read-only */                                                                      \
    uv_req_type type;                                                                    \
    /* private */                                                                        \
    void *reserved[6];

struct uv_req_s {
    UV_REQ_FIELDS
};

struct uv_shutdown_s {
    UV_REQ_FIELDS
    uv_stream_t *handle;
    uv_shutdown_cb cb;
};

struct uv_write_s {
    UV_REQ_FIELDS
    uv_write_cb cb;
    uv_stream_t *send_handle;
    uv_stream_t *handle;
    /* private */
    uv__queue_t queue;
    unsigned int write_index;
    uv_buf_t *bufs;
    unsigned int nbufs;
    int error;
    uv_buf_t bufsml[4];
};

struct uv_connect_s {
    UV_REQ_FIELDS
    uv_connect_cb cb;
    uv_stream_t *handle;
    uv__queue_t queue;
};

struct uv_udp_send_s {
    UV_REQ_FIELDS
    uv_udp_t *handle;
    uv_udp_send_cb cb;
};

struct uv_work_s {
    UV_REQ_FIELDS
    uv_loop_t *loop;
    uv_work_cb work_cb;
    uv_after_work_cb after_work_cb;
    /* private */
    loop_work_t w;
};

struct uv_fs_s {
    UV_REQ_FIELDS
    uv_fs_type fs_type;
    uv_loop_t *loop;
    uv_fs_cb cb;
    ssize_t result;
    void *ptr;
    const char *path;
    uv_stat_t statbuf;
};

struct uv_getaddrinfo_s {
    UV_REQ_FIELDS
    uv_loop_t *loop;
    struct addrinfo *addrinfo;
};

struct uv_getnameinfo_s {
    UV_REQ_FIELDS
    uv_loop_t *loop;
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
};

struct uv_random_s {
    UV_REQ_FIELDS
    uv_loop_t *loop;
};

/* ---------------------------------------------------------------------- */
/* Miscellaneous structs                                                   */

struct uv_interface_address_s {
    char *name;
    char phys_addr[6];
    int is_internal;
    union {
        struct sockaddr_in address4;
        struct sockaddr_in6 address6;
    } address;
    union {
        struct sockaddr_in netmask4;
        struct sockaddr_in6 netmask6;
    } netmask;
};

struct uv_utsname_s {
    char sysname[256];
    char release[256];
    char version[256];
    char machine[256];
};

typedef enum {
    UV_DIRENT_UNKNOWN,
    UV_DIRENT_FILE,
    UV_DIRENT_DIR,
    UV_DIRENT_LINK,
    UV_DIRENT_FIFO,
    UV_DIRENT_SOCKET,
    UV_DIRENT_CHAR,
    UV_DIRENT_BLOCK
} uv_dirent_type_t;

struct uv_dirent_s {
    const char *name;
    uv_dirent_type_t type;
};

typedef struct {
    uv_file flags;
    int exit_code;
} uv__unused_t;

typedef struct uv_process_options_s {
    uv_exit_cb exit_cb;
    const char *file;
    char **args;
    char **env;
    const char *cwd;
    unsigned int flags;
    int stdio_count;
    void *stdio;
    uv_uid_t uid;
    uv_gid_t gid;
} uv_process_options_t;

#define UV_IF_NAMESIZE (16 + 1)

/* ---------------------------------------------------------------------- */
/* Site capture: the *_at functions take the caller's site                 */

#define UV__SITE() LOOP_SITE()

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

UV_EXTERN const char *uv_strerror(int err);
UV_EXTERN char *uv_strerror_r(int err, char *buf, size_t buflen);
UV_EXTERN const char *uv_err_name(int err);
UV_EXTERN char *uv_err_name_r(int err, char *buf, size_t buflen);
UV_EXTERN int uv_translate_sys_error(int sys_errno);

/* ---------------------------------------------------------------------- */
/* Version                                                                 */

UV_EXTERN unsigned int uv_version(void);
UV_EXTERN const char *uv_version_string(void);

/* ---------------------------------------------------------------------- */
/* The loop                                                                */

UV_EXTERN int uv_loop_init(uv_loop_t *loop);
UV_EXTERN int uv_loop_close(uv_loop_t *loop);
UV_EXTERN uv_loop_t *uv_default_loop(void);
UV_EXTERN uv_loop_t *uv_loop_new(void);
UV_EXTERN void uv_loop_delete(uv_loop_t *loop);
UV_EXTERN size_t uv_loop_size(void);
UV_EXTERN int uv_loop_alive(const uv_loop_t *loop);
UV_EXTERN int uv_loop_configure(uv_loop_t *loop, uv_loop_option option, ...);
UV_EXTERN int uv_loop_fork(uv_loop_t *loop);
UV_EXTERN int uv_run(uv_loop_t *loop, uv_run_mode mode);
UV_EXTERN void uv_stop(uv_loop_t *loop);
UV_EXTERN uint64_t uv_now(const uv_loop_t *loop);
UV_EXTERN void uv_update_time(uv_loop_t *loop);
UV_EXTERN int uv_backend_fd(const uv_loop_t *loop);
UV_EXTERN int uv_backend_timeout(const uv_loop_t *loop);
UV_EXTERN void uv_walk(uv_loop_t *loop, uv_walk_cb walk_cb, void *arg);
UV_EXTERN void *uv_loop_get_data(const uv_loop_t *loop);
UV_EXTERN void uv_loop_set_data(uv_loop_t *loop, void *data);
UV_EXTERN void uv_print_all_handles(uv_loop_t *loop, FILE *stream);
UV_EXTERN void uv_print_active_handles(uv_loop_t *loop, FILE *stream);
/* The libloop loop underneath: for loop_* debugging calls on a uv program. */
UV_EXTERN loop_t *uv_loop_libloop(uv_loop_t *loop);

/* ---------------------------------------------------------------------- */
/* Handles                                                                 */

UV_EXTERN void uv_close(uv_handle_t *handle, uv_close_cb close_cb);
UV_EXTERN int uv_is_active(const uv_handle_t *handle);
UV_EXTERN int uv_is_closing(const uv_handle_t *handle);
UV_EXTERN void uv_ref(uv_handle_t *handle);
UV_EXTERN void uv_unref(uv_handle_t *handle);
UV_EXTERN int uv_has_ref(const uv_handle_t *handle);
UV_EXTERN size_t uv_handle_size(uv_handle_type type);
UV_EXTERN size_t uv_req_size(uv_req_type type);
UV_EXTERN uv_handle_type uv_handle_get_type(const uv_handle_t *handle);
UV_EXTERN const char *uv_handle_type_name(uv_handle_type type);
UV_EXTERN void *uv_handle_get_data(const uv_handle_t *handle);
UV_EXTERN uv_loop_t *uv_handle_get_loop(const uv_handle_t *handle);
UV_EXTERN void uv_handle_set_data(uv_handle_t *handle, void *data);
UV_EXTERN void *uv_req_get_data(const uv_req_t *req);
UV_EXTERN void uv_req_set_data(uv_req_t *req, void *data);
UV_EXTERN uv_req_type uv_req_get_type(const uv_req_t *req);
UV_EXTERN const char *uv_req_type_name(uv_req_type type);
UV_EXTERN int uv_fileno(const uv_handle_t *handle, uv_os_fd_t *fd);
UV_EXTERN int uv_send_buffer_size(uv_handle_t *handle, int *value);
UV_EXTERN int uv_recv_buffer_size(uv_handle_t *handle, int *value);
UV_EXTERN int uv_cancel(uv_req_t *req);

UV_EXTERN uv_buf_t uv_buf_init(char *base, unsigned int len);

/* Timers */
UV_EXTERN int uv_timer_init_at(uv_loop_t *loop, uv_timer_t *handle, const loop_site_t *site);
UV_EXTERN int uv_timer_start(uv_timer_t *handle, uv_timer_cb cb, uint64_t timeout,
                             uint64_t repeat);
UV_EXTERN int uv_timer_stop(uv_timer_t *handle);
UV_EXTERN int uv_timer_again(uv_timer_t *handle);
UV_EXTERN void uv_timer_set_repeat(uv_timer_t *handle, uint64_t repeat);
UV_EXTERN uint64_t uv_timer_get_repeat(const uv_timer_t *handle);
UV_EXTERN uint64_t uv_timer_get_due_in(const uv_timer_t *handle);

/* Idle, prepare, check */
UV_EXTERN int uv_idle_init_at(uv_loop_t *loop, uv_idle_t *idle, const loop_site_t *site);
UV_EXTERN int uv_idle_start(uv_idle_t *idle, uv_idle_cb cb);
UV_EXTERN int uv_idle_stop(uv_idle_t *idle);
UV_EXTERN int uv_prepare_init_at(uv_loop_t *loop, uv_prepare_t *prepare,
                                 const loop_site_t *site);
UV_EXTERN int uv_prepare_start(uv_prepare_t *prepare, uv_prepare_cb cb);
UV_EXTERN int uv_prepare_stop(uv_prepare_t *prepare);
UV_EXTERN int uv_check_init_at(uv_loop_t *loop, uv_check_t *check, const loop_site_t *site);
UV_EXTERN int uv_check_start(uv_check_t *check, uv_check_cb cb);
UV_EXTERN int uv_check_stop(uv_check_t *check);

/* Async (uv_async_send is thread-safe) */
UV_EXTERN int uv_async_init_at(uv_loop_t *loop, uv_async_t *async, uv_async_cb async_cb,
                               const loop_site_t *site);
UV_EXTERN int uv_async_send(uv_async_t *async);

/* Poll */
UV_EXTERN int uv_poll_init_at(uv_loop_t *loop, uv_poll_t *handle, int fd,
                              const loop_site_t *site);
UV_EXTERN int uv_poll_init_socket_at(uv_loop_t *loop, uv_poll_t *handle, uv_os_sock_t socket,
                                     const loop_site_t *site);
UV_EXTERN int uv_poll_start(uv_poll_t *handle, int events, uv_poll_cb cb);
UV_EXTERN int uv_poll_stop(uv_poll_t *handle);

/* Signals */
UV_EXTERN int uv_signal_init_at(uv_loop_t *loop, uv_signal_t *handle, const loop_site_t *site);
UV_EXTERN int uv_signal_start(uv_signal_t *handle, uv_signal_cb signal_cb, int signum);
UV_EXTERN int uv_signal_start_oneshot(uv_signal_t *handle, uv_signal_cb signal_cb, int signum);
UV_EXTERN int uv_signal_stop(uv_signal_t *handle);
UV_EXTERN void uv_loop_fork_signals(void);

/* Thread pool */
UV_EXTERN int uv_queue_work_at(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb,
                               uv_after_work_cb after_work_cb, const loop_site_t *site);

/* Streams */
UV_EXTERN int uv_listen(uv_stream_t *stream, int backlog, uv_connection_cb cb);
UV_EXTERN int uv_accept(uv_stream_t *server, uv_stream_t *client);
UV_EXTERN int uv_read_start(uv_stream_t *stream, uv_alloc_cb alloc_cb, uv_read_cb read_cb);
UV_EXTERN int uv_read_stop(uv_stream_t *stream);
UV_EXTERN int uv_write(uv_write_t *req, uv_stream_t *handle, const uv_buf_t bufs[],
                       unsigned int nbufs, uv_write_cb cb);
UV_EXTERN int uv_write2(uv_write_t *req, uv_stream_t *handle, const uv_buf_t bufs[],
                        unsigned int nbufs, uv_stream_t *send_handle, uv_write_cb cb);
UV_EXTERN int uv_try_write(uv_stream_t *handle, const uv_buf_t bufs[], unsigned int nbufs);
UV_EXTERN int uv_try_write2(uv_stream_t *handle, const uv_buf_t bufs[], unsigned int nbufs,
                            uv_stream_t *send_handle);
UV_EXTERN int uv_shutdown(uv_shutdown_t *req, uv_stream_t *handle, uv_shutdown_cb cb);
UV_EXTERN int uv_is_readable(const uv_stream_t *handle);
UV_EXTERN int uv_is_writable(const uv_stream_t *handle);
UV_EXTERN int uv_stream_set_blocking(uv_stream_t *handle, int blocking);
UV_EXTERN size_t uv_stream_get_write_queue_size(const uv_stream_t *stream);

/* TCP */
UV_EXTERN int uv_tcp_init_at(uv_loop_t *loop, uv_tcp_t *handle, const loop_site_t *site);
UV_EXTERN int uv_tcp_init_ex_at(uv_loop_t *loop, uv_tcp_t *handle, unsigned int flags,
                                const loop_site_t *site);
UV_EXTERN int uv_tcp_open(uv_tcp_t *handle, uv_os_sock_t sock);
UV_EXTERN int uv_tcp_nodelay(uv_tcp_t *handle, int enable);
UV_EXTERN int uv_tcp_keepalive(uv_tcp_t *handle, int enable, unsigned int delay);
UV_EXTERN int uv_tcp_simultaneous_accepts(uv_tcp_t *handle, int enable);
UV_EXTERN int uv_tcp_bind(uv_tcp_t *handle, const struct sockaddr *addr, unsigned int flags);
UV_EXTERN int uv_tcp_getsockname(const uv_tcp_t *handle, struct sockaddr *name, int *namelen);
UV_EXTERN int uv_tcp_getpeername(const uv_tcp_t *handle, struct sockaddr *name, int *namelen);
UV_EXTERN int uv_tcp_close_reset(uv_tcp_t *handle, uv_close_cb close_cb);
UV_EXTERN int uv_tcp_connect(uv_connect_t *req, uv_tcp_t *handle, const struct sockaddr *addr,
                             uv_connect_cb cb);

/* Pipes */
UV_EXTERN int uv_pipe_init_at(uv_loop_t *loop, uv_pipe_t *handle, int ipc,
                              const loop_site_t *site);
UV_EXTERN int uv_pipe_open(uv_pipe_t *handle, uv_file file);
UV_EXTERN int uv_pipe_bind(uv_pipe_t *handle, const char *name);
UV_EXTERN void uv_pipe_connect(uv_connect_t *req, uv_pipe_t *handle, const char *name,
                               uv_connect_cb cb);
UV_EXTERN int uv_pipe_getsockname(const uv_pipe_t *handle, char *buffer, size_t *size);
UV_EXTERN int uv_pipe_getpeername(const uv_pipe_t *handle, char *buffer, size_t *size);
UV_EXTERN void uv_pipe_pending_instances(uv_pipe_t *handle, int count);
UV_EXTERN int uv_pipe_pending_count(uv_pipe_t *handle);
UV_EXTERN uv_handle_type uv_pipe_pending_type(uv_pipe_t *handle);
UV_EXTERN int uv_pipe_chmod(uv_pipe_t *handle, int flags);
UV_EXTERN int uv_pipe(uv_file fds[2], int read_flags, int write_flags);
UV_EXTERN int uv_socketpair(int type, int protocol, uv_os_sock_t socket_vector[2], int flags0,
                            int flags1);

/* ---------------------------------------------------------------------- */
/* IP helpers                                                              */

UV_EXTERN int uv_ip4_addr(const char *ip, int port, struct sockaddr_in *addr);
UV_EXTERN int uv_ip6_addr(const char *ip, int port, struct sockaddr_in6 *addr);
UV_EXTERN int uv_ip4_name(const struct sockaddr_in *src, char *dst, size_t size);
UV_EXTERN int uv_ip6_name(const struct sockaddr_in6 *src, char *dst, size_t size);
UV_EXTERN int uv_ip_name(const struct sockaddr *src, char *dst, size_t size);
UV_EXTERN int uv_inet_ntop(int af, const void *src, char *dst, size_t size);
UV_EXTERN int uv_inet_pton(int af, const char *src, void *dst);
UV_EXTERN int uv_if_indextoname(unsigned int ifindex, char *buffer, size_t *size);
UV_EXTERN int uv_if_indextoiid(unsigned int ifindex, char *buffer, size_t *size);
UV_EXTERN int uv_interface_addresses(uv_interface_address_t **addresses, int *count);
UV_EXTERN void uv_free_interface_addresses(uv_interface_address_t *addresses, int count);

/* ---------------------------------------------------------------------- */
/* Miscellaneous                                                           */

UV_EXTERN uint64_t uv_hrtime(void);
UV_EXTERN void uv_sleep(unsigned int msec);
UV_EXTERN char **uv_setup_args(int argc, char **argv);
UV_EXTERN void uv_library_shutdown(void);
UV_EXTERN int uv_exepath(char *buffer, size_t *size);
UV_EXTERN uv_pid_t uv_os_getpid(void);
UV_EXTERN uv_pid_t uv_os_getppid(void);
UV_EXTERN int uv_os_uname(uv_utsname_t *buffer);
UV_EXTERN int uv_kill(int pid, int signum);
UV_EXTERN uv_handle_type uv_guess_handle(uv_file file);
UV_EXTERN int uv_os_getenv(const char *name, char *buffer, size_t *size);
UV_EXTERN int uv_os_setenv(const char *name, const char *value);
UV_EXTERN int uv_os_unsetenv(const char *name);

/* Threads and synchronisation (thin pthread wrappers) */
typedef enum { UV_THREAD_NO_FLAGS = 0x00, UV_THREAD_HAS_STACK_SIZE = 0x01 } uv_thread_create_flags;
typedef struct uv_thread_options_s {
    unsigned int flags;
    size_t stack_size;
} uv_thread_options_t;

UV_EXTERN int uv_thread_create(uv_thread_t *tid, uv_thread_cb entry, void *arg);
UV_EXTERN int uv_thread_create_ex(uv_thread_t *tid, const uv_thread_options_t *params,
                                  uv_thread_cb entry, void *arg);
UV_EXTERN int uv_key_create(uv_key_t *key);
UV_EXTERN void uv_key_delete(uv_key_t *key);
UV_EXTERN void *uv_key_get(uv_key_t *key);
UV_EXTERN void uv_key_set(uv_key_t *key, void *value);
UV_EXTERN int uv_rwlock_init(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_destroy(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_rdlock(uv_rwlock_t *rwlock);
UV_EXTERN int uv_rwlock_tryrdlock(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_rdunlock(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_wrlock(uv_rwlock_t *rwlock);
UV_EXTERN int uv_rwlock_trywrlock(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_wrunlock(uv_rwlock_t *rwlock);
UV_EXTERN int uv_thread_join(uv_thread_t *tid);
UV_EXTERN uv_thread_t uv_thread_self(void);
UV_EXTERN int uv_thread_equal(const uv_thread_t *t1, const uv_thread_t *t2);
UV_EXTERN int uv_mutex_init(uv_mutex_t *handle);
UV_EXTERN int uv_mutex_init_recursive(uv_mutex_t *handle);
UV_EXTERN void uv_mutex_destroy(uv_mutex_t *handle);
UV_EXTERN void uv_mutex_lock(uv_mutex_t *handle);
UV_EXTERN int uv_mutex_trylock(uv_mutex_t *handle);
UV_EXTERN void uv_mutex_unlock(uv_mutex_t *handle);
UV_EXTERN int uv_sem_init(uv_sem_t *sem, unsigned int value);
UV_EXTERN void uv_sem_destroy(uv_sem_t *sem);
UV_EXTERN void uv_sem_post(uv_sem_t *sem);
UV_EXTERN void uv_sem_wait(uv_sem_t *sem);
UV_EXTERN int uv_sem_trywait(uv_sem_t *sem);
UV_EXTERN int uv_cond_init(uv_cond_t *cond);
UV_EXTERN void uv_cond_destroy(uv_cond_t *cond);
UV_EXTERN void uv_cond_signal(uv_cond_t *cond);
UV_EXTERN void uv_cond_broadcast(uv_cond_t *cond);
UV_EXTERN void uv_cond_wait(uv_cond_t *cond, uv_mutex_t *mutex);
UV_EXTERN int uv_cond_timedwait(uv_cond_t *cond, uv_mutex_t *mutex, uint64_t timeout);
UV_EXTERN int uv_barrier_init(uv_barrier_t *barrier, unsigned int count);
UV_EXTERN void uv_barrier_destroy(uv_barrier_t *barrier);
UV_EXTERN int uv_barrier_wait(uv_barrier_t *barrier);
UV_EXTERN void uv_once(uv_once_t *guard, void (*callback)(void));

/* ---------------------------------------------------------------------- */
/* Not implemented: declared so that programs build; each returns UV_ENOSYS */

UV_EXTERN int uv_udp_init(uv_loop_t *loop, uv_udp_t *handle);
UV_EXTERN int uv_udp_init_ex(uv_loop_t *loop, uv_udp_t *handle, unsigned int flags);
UV_EXTERN int uv_udp_bind(uv_udp_t *handle, const struct sockaddr *addr, unsigned int flags);
UV_EXTERN int uv_udp_getsockname(const uv_udp_t *handle, struct sockaddr *name, int *namelen);
UV_EXTERN int uv_udp_send(uv_udp_send_t *req, uv_udp_t *handle, const uv_buf_t bufs[],
                          unsigned int nbufs, const struct sockaddr *addr, uv_udp_send_cb send_cb);
UV_EXTERN int uv_udp_recv_start(uv_udp_t *handle, uv_alloc_cb alloc_cb, uv_udp_recv_cb recv_cb);
UV_EXTERN int uv_udp_recv_stop(uv_udp_t *handle);
UV_EXTERN int uv_spawn(uv_loop_t *loop, uv_process_t *handle,
                       const uv_process_options_t *options);
UV_EXTERN int uv_process_kill(uv_process_t *handle, int signum);
UV_EXTERN int uv_fs_event_init(uv_loop_t *loop, uv_fs_event_t *handle);
UV_EXTERN int uv_fs_event_start(uv_fs_event_t *handle, uv_fs_event_cb cb, const char *path,
                                unsigned int flags);
UV_EXTERN int uv_fs_poll_init(uv_loop_t *loop, uv_fs_poll_t *handle);
UV_EXTERN int uv_fs_poll_start(uv_fs_poll_t *handle, uv_fs_poll_cb poll_cb, const char *path,
                               unsigned int interval);
UV_EXTERN int uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req, uv_getaddrinfo_cb cb,
                             const char *node, const char *service,
                             const struct addrinfo *hints);
UV_EXTERN void uv_freeaddrinfo(struct addrinfo *ai);
UV_EXTERN int uv_getnameinfo(uv_loop_t *loop, uv_getnameinfo_t *req, uv_getnameinfo_cb cb,
                             const struct sockaddr *addr, int flags);
UV_EXTERN int uv_random(uv_loop_t *loop, uv_random_t *req, void *buf, size_t buflen,
                        unsigned flags, uv_random_cb cb);

/* File system: only synchronous unlink (cb == NULL) is implemented. */
UV_EXTERN void uv_fs_req_cleanup(uv_fs_t *req);
UV_EXTERN uv_fs_type uv_fs_get_type(const uv_fs_t *req);
UV_EXTERN ssize_t uv_fs_get_result(const uv_fs_t *req);
UV_EXTERN void *uv_fs_get_ptr(const uv_fs_t *req);
UV_EXTERN const char *uv_fs_get_path(const uv_fs_t *req);
UV_EXTERN uv_stat_t *uv_fs_get_statbuf(uv_fs_t *req);
UV_EXTERN int uv_fs_unlink(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
UV_EXTERN int uv_fs_close(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb);
UV_EXTERN int uv_fs_open(uv_loop_t *loop, uv_fs_t *req, const char *path, int flags, int mode,
                         uv_fs_cb cb);
UV_EXTERN int uv_fs_read(uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[],
                         unsigned int nbufs, int64_t offset, uv_fs_cb cb);
UV_EXTERN int uv_fs_write(uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[],
                          unsigned int nbufs, int64_t offset, uv_fs_cb cb);
UV_EXTERN int uv_fs_mkdir(uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,
                          uv_fs_cb cb);
UV_EXTERN int uv_fs_scandir(uv_loop_t *loop, uv_fs_t *req, const char *path, int flags,
                            uv_fs_cb cb);
UV_EXTERN int uv_fs_stat(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
UV_EXTERN int uv_fs_fstat(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb);
UV_EXTERN int uv_fs_lstat(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
UV_EXTERN int uv_fs_rename(uv_loop_t *loop, uv_fs_t *req, const char *path,
                           const char *new_path, uv_fs_cb cb);
UV_EXTERN int uv_fs_fsync(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb);
UV_EXTERN int uv_fs_fdatasync(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb);
UV_EXTERN int uv_fs_ftruncate(uv_loop_t *loop, uv_fs_t *req, uv_file file, int64_t offset,
                              uv_fs_cb cb);
UV_EXTERN int uv_fs_sendfile(uv_loop_t *loop, uv_fs_t *req, uv_file out_fd, uv_file in_fd,
                             int64_t in_offset, size_t length, uv_fs_cb cb);
UV_EXTERN int uv_fs_chmod(uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,
                          uv_fs_cb cb);
UV_EXTERN int uv_fs_fchmod(uv_loop_t *loop, uv_fs_t *req, uv_file file, int mode, uv_fs_cb cb);
UV_EXTERN int uv_fs_utime(uv_loop_t *loop, uv_fs_t *req, const char *path, double atime,
                          double mtime, uv_fs_cb cb);
UV_EXTERN int uv_fs_futime(uv_loop_t *loop, uv_fs_t *req, uv_file file, double atime,
                           double mtime, uv_fs_cb cb);
UV_EXTERN int uv_fs_link(uv_loop_t *loop, uv_fs_t *req, const char *path, const char *new_path,
                         uv_fs_cb cb);
UV_EXTERN int uv_fs_symlink(uv_loop_t *loop, uv_fs_t *req, const char *path,
                            const char *new_path, int flags, uv_fs_cb cb);
UV_EXTERN int uv_fs_readlink(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
UV_EXTERN int uv_fs_realpath(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
UV_EXTERN int uv_fs_chown(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_uid_t uid,
                          uv_gid_t gid, uv_fs_cb cb);
UV_EXTERN int uv_fs_fchown(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_uid_t uid,
                           uv_gid_t gid, uv_fs_cb cb);

/* ---------------------------------------------------------------------- */
/* Creating calls capture the call site                                    */

/* The plain functions, for callers that take their address (their site is
 * then libloop-uv's own); the macros below shadow them in ordinary calls. */
UV_EXTERN int(uv_timer_init)(uv_loop_t *loop, uv_timer_t *handle);
UV_EXTERN int(uv_idle_init)(uv_loop_t *loop, uv_idle_t *idle);
UV_EXTERN int(uv_prepare_init)(uv_loop_t *loop, uv_prepare_t *prepare);
UV_EXTERN int(uv_check_init)(uv_loop_t *loop, uv_check_t *check);
UV_EXTERN int(uv_async_init)(uv_loop_t *loop, uv_async_t *async, uv_async_cb async_cb);
UV_EXTERN int(uv_poll_init)(uv_loop_t *loop, uv_poll_t *handle, int fd);
UV_EXTERN int(uv_poll_init_socket)(uv_loop_t *loop, uv_poll_t *handle, uv_os_sock_t socket);
UV_EXTERN int(uv_signal_init)(uv_loop_t *loop, uv_signal_t *handle);
UV_EXTERN int(uv_queue_work)(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb,
                             uv_after_work_cb after_work_cb);
UV_EXTERN int(uv_tcp_init)(uv_loop_t *loop, uv_tcp_t *handle);
UV_EXTERN int(uv_tcp_init_ex)(uv_loop_t *loop, uv_tcp_t *handle, unsigned int flags);
UV_EXTERN int(uv_pipe_init)(uv_loop_t *loop, uv_pipe_t *handle, int ipc);

#define uv_timer_init(loop, h) uv_timer_init_at((loop), (h), UV__SITE())
#define uv_idle_init(loop, h) uv_idle_init_at((loop), (h), UV__SITE())
#define uv_prepare_init(loop, h) uv_prepare_init_at((loop), (h), UV__SITE())
#define uv_check_init(loop, h) uv_check_init_at((loop), (h), UV__SITE())
#define uv_async_init(loop, h, cb) uv_async_init_at((loop), (h), (cb), UV__SITE())
#define uv_poll_init(loop, h, fd) uv_poll_init_at((loop), (h), (fd), UV__SITE())
#define uv_poll_init_socket(loop, h, s) uv_poll_init_socket_at((loop), (h), (s), UV__SITE())
#define uv_signal_init(loop, h) uv_signal_init_at((loop), (h), UV__SITE())
#define uv_queue_work(loop, req, work, after)                                           \
    uv_queue_work_at((loop), (req), (work), (after), UV__SITE())
#define uv_tcp_init(loop, h) uv_tcp_init_at((loop), (h), UV__SITE())
#define uv_tcp_init_ex(loop, h, flags) uv_tcp_init_ex_at((loop), (h), (flags), UV__SITE())
#define uv_pipe_init(loop, h, ipc) uv_pipe_init_at((loop), (h), (ipc), UV__SITE())

#ifdef __cplusplus
}
#endif

#endif /* UV_H */
