/*
 * misc.c — errors, version, buffers, ip helpers, process and OS wrappers,
 * thread and synchronisation wrappers, and the UV_ENOSYS stubs of what
 * libloop-uv does not implement (udp, fs, process, dns, fs_event, fs_poll).
 */
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "uv-internal.h"

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

static char *unknown_err(int err, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "Unknown system error %d", err);
    return buf;
}

const char *uv_strerror(int err)
{
    static __thread char buf[48];

    switch (err) {
#define UV__STRERR(A, name, value, msg)                                                  \
    case value:                                                                          \
        return msg;
        UV__ERRNO_LIST(UV__STRERR, _)
#undef UV__STRERR
    }
    return unknown_err(err, buf, sizeof(buf));
}

char *uv_strerror_r(int err, char *buf, size_t buflen)
{
    switch (err) {
#define UV__STRERR_R(A, name, value, msg)                                                \
    case value:                                                                          \
        snprintf(buf, buflen, "%s", msg);                                                \
        return buf;
        UV__ERRNO_LIST(UV__STRERR_R, _)
#undef UV__STRERR_R
    }
    return unknown_err(err, buf, buflen);
}

const char *uv_err_name(int err)
{
    static __thread char buf[48];

    switch (err) {
#define UV__ERRNAME(A, name, value, msg)                                                 \
    case value:                                                                          \
        return #name;
        UV__ERRNO_LIST(UV__ERRNAME, _)
#undef UV__ERRNAME
    }
    return unknown_err(err, buf, sizeof(buf));
}

char *uv_err_name_r(int err, char *buf, size_t buflen)
{
    switch (err) {
#define UV__ERRNAME_R(A, name, value, msg)                                               \
    case value:                                                                          \
        snprintf(buf, buflen, "%s", #name);                                              \
        return buf;
        UV__ERRNO_LIST(UV__ERRNAME_R, _)
#undef UV__ERRNAME_R
    }
    return unknown_err(err, buf, buflen);
}

int uv_translate_sys_error(int sys_errno)
{
    /* Unix: errno values are negated; what is already negative passes through */
    return sys_errno <= 0 ? sys_errno : -sys_errno;
}

unsigned int uv_version(void)
{
    return UV_VERSION_HEX;
}

const char *uv_version_string(void)
{
    return "1.44.2-libloop";
}

uv_buf_t uv_buf_init(char *base, unsigned int len)
{
    uv_buf_t buf;

    buf.base = base;
    buf.len = len;
    return buf;
}

/* ---------------------------------------------------------------------- */
/* IP helpers                                                              */

int uv_inet_pton(int af, const char *src, void *dst)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    const char *p;

    if (src == NULL || dst == NULL) {
        return UV_EINVAL;
    }
    switch (af) {
    case AF_INET:
        return inet_pton(AF_INET, src, dst) == 1 ? 0 : UV_EINVAL;
    case AF_INET6:
        p = strchr(src, '%');
        if (p != NULL) {
            size_t len = (size_t)(p - src);
            if (len > INET6_ADDRSTRLEN) {
                return UV_EINVAL;
            }
            memcpy(tmp, src, len);
            tmp[len] = '\0';
            src = tmp;
        }
        return inet_pton(AF_INET6, src, dst) == 1 ? 0 : UV_EINVAL;
    default:
        return UV_EAFNOSUPPORT;
    }
}

int uv_inet_ntop(int af, const void *src, char *dst, size_t size)
{
    if (af != AF_INET && af != AF_INET6) {
        return UV_EAFNOSUPPORT;
    }
    if (inet_ntop(af, src, dst, (socklen_t)size) == NULL) {
        return errno == ENOSPC ? UV_ENOSPC : UV__ERR(errno);
    }
    return 0;
}

int uv_ip4_addr(const char *ip, int port, struct sockaddr_in *addr)
{
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    return uv_inet_pton(AF_INET, ip, &addr->sin_addr.s_addr);
}

int uv_ip6_addr(const char *ip, int port, struct sockaddr_in6 *addr)
{
    char address_part[40];
    const char *zone_index;

    memset(addr, 0, sizeof(*addr));
    addr->sin6_family = AF_INET6;
    addr->sin6_port = htons((uint16_t)port);
    zone_index = strchr(ip, '%');
    if (zone_index != NULL) {
        size_t address_part_size = (size_t)(zone_index - ip);
        if (address_part_size >= sizeof(address_part)) {
            address_part_size = sizeof(address_part) - 1;
        }
        memcpy(address_part, ip, address_part_size);
        address_part[address_part_size] = '\0';
        ip = address_part;
        zone_index++;
        /* an unknown interface (0) is silently ignored, as in libuv */
        addr->sin6_scope_id = if_nametoindex(zone_index);
    }
    return uv_inet_pton(AF_INET6, ip, &addr->sin6_addr);
}

int uv_ip4_name(const struct sockaddr_in *src, char *dst, size_t size)
{
    return uv_inet_ntop(AF_INET, &src->sin_addr, dst, size);
}

int uv_ip6_name(const struct sockaddr_in6 *src, char *dst, size_t size)
{
    return uv_inet_ntop(AF_INET6, &src->sin6_addr, dst, size);
}

int uv_ip_name(const struct sockaddr *src, char *dst, size_t size)
{
    switch (src->sa_family) {
    case AF_INET:
        return uv_ip4_name((const struct sockaddr_in *)src, dst, size);
    case AF_INET6:
        return uv_ip6_name((const struct sockaddr_in6 *)src, dst, size);
    default:
        return UV_EAFNOSUPPORT;
    }
}

int uv_if_indextoname(unsigned int ifindex, char *buffer, size_t *size)
{
    char ifname_buf[UV_IF_NAMESIZE];
    size_t len;

    if (buffer == NULL || size == NULL || *size == 0) {
        return UV_EINVAL;
    }
    if (if_indextoname(ifindex, ifname_buf) == NULL) {
        return UV__ERR(errno);
    }
    len = strnlen(ifname_buf, sizeof(ifname_buf));
    if (*size <= len) {
        *size = len + 1;
        return UV_ENOBUFS;
    }
    memcpy(buffer, ifname_buf, len);
    buffer[len] = '\0';
    *size = len;
    return 0;
}

int uv_if_indextoiid(unsigned int ifindex, char *buffer, size_t *size)
{
    return uv_if_indextoname(ifindex, buffer, size);
}

int uv_interface_addresses(uv_interface_address_t **addresses, int *count)
{
    struct ifaddrs *addrs, *ent;
    uv_interface_address_t *address;
    int n = 0;

    *count = 0;
    *addresses = NULL;
    if (getifaddrs(&addrs) != 0) {
        return UV__ERR(errno);
    }
    for (ent = addrs; ent != NULL; ent = ent->ifa_next) {
        if (!(ent->ifa_flags & IFF_UP) || !(ent->ifa_flags & IFF_RUNNING) ||
            ent->ifa_addr == NULL ||
            (ent->ifa_addr->sa_family != AF_INET && ent->ifa_addr->sa_family != AF_INET6)) {
            continue;
        }
        n++;
    }
    if (n == 0) {
        freeifaddrs(addrs);
        return 0;
    }
    *addresses = calloc((size_t)n, sizeof(**addresses));
    if (*addresses == NULL) {
        freeifaddrs(addrs);
        return UV_ENOMEM;
    }
    address = *addresses;
    for (ent = addrs; ent != NULL; ent = ent->ifa_next) {
        if (!(ent->ifa_flags & IFF_UP) || !(ent->ifa_flags & IFF_RUNNING) ||
            ent->ifa_addr == NULL ||
            (ent->ifa_addr->sa_family != AF_INET && ent->ifa_addr->sa_family != AF_INET6)) {
            continue;
        }
        address->name = strdup(ent->ifa_name);
        if (ent->ifa_addr->sa_family == AF_INET6) {
            address->address.address6 = *(struct sockaddr_in6 *)ent->ifa_addr;
        } else {
            address->address.address4 = *(struct sockaddr_in *)ent->ifa_addr;
        }
        if (ent->ifa_netmask != NULL) {
            if (ent->ifa_netmask->sa_family == AF_INET6) {
                address->netmask.netmask6 = *(struct sockaddr_in6 *)ent->ifa_netmask;
            } else {
                address->netmask.netmask4 = *(struct sockaddr_in *)ent->ifa_netmask;
            }
        }
        address->is_internal = !!(ent->ifa_flags & IFF_LOOPBACK);
        address++;
    }
    /* the hardware address of each interface, from its AF_PACKET entry */
    for (ent = addrs; ent != NULL; ent = ent->ifa_next) {
        if (ent->ifa_addr == NULL || ent->ifa_addr->sa_family != AF_PACKET) {
            continue;
        }
        for (int i = 0; i < n; i++) {
            if ((*addresses)[i].name != NULL && strcmp((*addresses)[i].name, ent->ifa_name) == 0) {
                struct sockaddr_ll *sll = (struct sockaddr_ll *)ent->ifa_addr;
                memcpy((*addresses)[i].phys_addr, sll->sll_addr, 6);
            }
        }
    }
    freeifaddrs(addrs);
    *count = n;
    return 0;
}

void uv_free_interface_addresses(uv_interface_address_t *addresses, int count)
{
    for (int i = 0; i < count; i++) {
        free(addresses[i].name);
    }
    free(addresses);
}

/* ---------------------------------------------------------------------- */
/* Process and OS                                                          */

void uv_sleep(unsigned int msec)
{
    struct timespec ts;
    int rc;

    ts.tv_sec = msec / 1000;
    ts.tv_nsec = (long)(msec % 1000) * 1000 * 1000;
    do {
        rc = nanosleep(&ts, &ts);
    } while (rc == -1 && errno == EINTR);
}

char **uv_setup_args(int argc, char **argv)
{
    (void)argc;
    return argv;
}

void uv_library_shutdown(void)
{
}

int uv_exepath(char *buffer, size_t *size)
{
    ssize_t n;

    if (buffer == NULL || size == NULL || *size == 0) {
        return UV_EINVAL;
    }
    n = readlink("/proc/self/exe", buffer, *size - 1);
    if (n == -1) {
        return UV__ERR(errno);
    }
    buffer[n] = '\0';
    *size = (size_t)n;
    return 0;
}

uv_pid_t uv_os_getpid(void)
{
    return getpid();
}

uv_pid_t uv_os_getppid(void)
{
    return getppid();
}

int uv_os_uname(uv_utsname_t *buffer)
{
    struct utsname buf;

    if (buffer == NULL) {
        return UV_EINVAL;
    }
    if (uname(&buf) == -1) {
        return UV__ERR(errno);
    }
    snprintf(buffer->sysname, sizeof(buffer->sysname), "%s", buf.sysname);
    snprintf(buffer->release, sizeof(buffer->release), "%s", buf.release);
    snprintf(buffer->version, sizeof(buffer->version), "%s", buf.version);
    snprintf(buffer->machine, sizeof(buffer->machine), "%s", buf.machine);
    return 0;
}

int uv_kill(int pid, int signum)
{
    return kill(pid, signum) ? UV__ERR(errno) : 0;
}

uv_handle_type uv_guess_handle(uv_file file)
{
    struct stat s;
    int type;
    socklen_t len = sizeof(type);

    if (file < 0 || fstat(file, &s)) {
        return UV_UNKNOWN_HANDLE;
    }
    if (isatty(file)) {
        return UV_TTY;
    }
    if (S_ISREG(s.st_mode) || S_ISCHR(s.st_mode)) {
        return UV_FILE;
    }
    if (S_ISFIFO(s.st_mode)) {
        return UV_NAMED_PIPE;
    }
    if (!S_ISSOCK(s.st_mode)) {
        return UV_UNKNOWN_HANDLE;
    }
    if (getsockopt(file, SOL_SOCKET, SO_TYPE, &type, &len)) {
        return UV_UNKNOWN_HANDLE;
    }
    if (type == SOCK_DGRAM) {
        return UV_UDP;
    }
    if (type == SOCK_STREAM) {
        struct sockaddr_storage ss;
        len = sizeof(ss);
        if (getsockname(file, (struct sockaddr *)&ss, &len)) {
            return UV_UNKNOWN_HANDLE;
        }
        if (ss.ss_family == AF_UNIX) {
            return UV_NAMED_PIPE;
        }
        if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
            return UV_TCP;
        }
    }
    return UV_UNKNOWN_HANDLE;
}

int uv_os_getenv(const char *name, char *buffer, size_t *size)
{
    const char *var;
    size_t len;

    if (name == NULL || buffer == NULL || size == NULL || *size == 0) {
        return UV_EINVAL;
    }
    var = getenv(name);
    if (var == NULL) {
        return UV_ENOENT;
    }
    len = strlen(var);
    if (len >= *size) {
        *size = len + 1;
        return UV_ENOBUFS;
    }
    memcpy(buffer, var, len + 1);
    *size = len;
    return 0;
}

int uv_os_setenv(const char *name, const char *value)
{
    if (name == NULL || value == NULL) {
        return UV_EINVAL;
    }
    return setenv(name, value, 1) ? UV__ERR(errno) : 0;
}

int uv_os_unsetenv(const char *name)
{
    if (name == NULL) {
        return UV_EINVAL;
    }
    return unsetenv(name) ? UV__ERR(errno) : 0;
}

/* ---------------------------------------------------------------------- */
/* Threads and synchronisation                                             */

struct thread_start {
    uv_thread_cb entry;
    void *arg;
};

static void *thread_main(void *p)
{
    struct thread_start s = *(struct thread_start *)p;

    free(p);
    s.entry(s.arg);
    return NULL;
}

int uv_thread_create(uv_thread_t *tid, uv_thread_cb entry, void *arg)
{
    return uv_thread_create_ex(tid, NULL, entry, arg);
}

/* The default stack: RLIMIT_STACK (page-aligned, at least PTHREAD_STACK_MIN),
 * 2 MiB when unlimited, as libuv. */
static size_t default_stack_size(void)
{
    struct rlimit lim;
    size_t page = (size_t)getpagesize();

    if (getrlimit(RLIMIT_STACK, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) {
        return 2u << 20;
    }
    lim.rlim_cur -= lim.rlim_cur % page;
    if (lim.rlim_cur >= (rlim_t)PTHREAD_STACK_MIN) {
        return (size_t)lim.rlim_cur;
    }
    return 2u << 20;
}

int uv_thread_create_ex(uv_thread_t *tid, const uv_thread_options_t *params,
                        uv_thread_cb entry, void *arg)
{
    struct thread_start *s;
    pthread_attr_t attr;
    size_t stack_size = 0, page = (size_t)getpagesize();
    int err;

    if (params != NULL && (params->flags & UV_THREAD_HAS_STACK_SIZE)) {
        stack_size = params->stack_size;
    }
    if (stack_size == 0) {
        stack_size = default_stack_size();
    }
    stack_size = (stack_size + page - 1) / page * page;
    if (stack_size < (size_t)PTHREAD_STACK_MIN) {
        stack_size = PTHREAD_STACK_MIN;
    }
    s = malloc(sizeof(*s));
    if (s == NULL) {
        return UV_ENOMEM;
    }
    s->entry = entry;
    s->arg = arg;
    pthread_attr_init(&attr);
    err = pthread_attr_setstacksize(&attr, stack_size);
    if (err == 0) {
        err = pthread_create(tid, &attr, thread_main, s);
    }
    pthread_attr_destroy(&attr);
    if (err) {
        free(s);
    }
    return UV__ERR(err);
}

int uv_key_create(uv_key_t *key)
{
    return UV__ERR(pthread_key_create(key, NULL));
}

void uv_key_delete(uv_key_t *key)
{
    pthread_key_delete(*key);
}

void *uv_key_get(uv_key_t *key)
{
    return pthread_getspecific(*key);
}

void uv_key_set(uv_key_t *key, void *value)
{
    pthread_setspecific(*key, value);
}

int uv_rwlock_init(uv_rwlock_t *rwlock)
{
    return UV__ERR(pthread_rwlock_init(rwlock, NULL));
}

void uv_rwlock_destroy(uv_rwlock_t *rwlock)
{
    pthread_rwlock_destroy(rwlock);
}

void uv_rwlock_rdlock(uv_rwlock_t *rwlock)
{
    pthread_rwlock_rdlock(rwlock);
}

int uv_rwlock_tryrdlock(uv_rwlock_t *rwlock)
{
    int err = pthread_rwlock_tryrdlock(rwlock);

    return (err == EBUSY || err == EAGAIN) ? UV_EBUSY : UV__ERR(err);
}

void uv_rwlock_rdunlock(uv_rwlock_t *rwlock)
{
    pthread_rwlock_unlock(rwlock);
}

void uv_rwlock_wrlock(uv_rwlock_t *rwlock)
{
    pthread_rwlock_wrlock(rwlock);
}

int uv_rwlock_trywrlock(uv_rwlock_t *rwlock)
{
    int err = pthread_rwlock_trywrlock(rwlock);

    return (err == EBUSY || err == EAGAIN) ? UV_EBUSY : UV__ERR(err);
}

void uv_rwlock_wrunlock(uv_rwlock_t *rwlock)
{
    pthread_rwlock_unlock(rwlock);
}

int uv_thread_join(uv_thread_t *tid)
{
    return UV__ERR(pthread_join(*tid, NULL));
}

uv_thread_t uv_thread_self(void)
{
    return pthread_self();
}

int uv_thread_equal(const uv_thread_t *t1, const uv_thread_t *t2)
{
    return pthread_equal(*t1, *t2);
}

int uv_mutex_init(uv_mutex_t *m)
{
    return UV__ERR(pthread_mutex_init(m, NULL));
}

int uv_mutex_init_recursive(uv_mutex_t *m)
{
    pthread_mutexattr_t attr;
    int err;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    err = pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    return UV__ERR(err);
}

void uv_mutex_destroy(uv_mutex_t *m)
{
    pthread_mutex_destroy(m);
}

void uv_mutex_lock(uv_mutex_t *m)
{
    if (pthread_mutex_lock(m)) {
        abort();
    }
}

int uv_mutex_trylock(uv_mutex_t *m)
{
    int err = pthread_mutex_trylock(m);

    if (err == EBUSY || err == EAGAIN) {
        return UV_EBUSY;
    }
    return UV__ERR(err);
}

void uv_mutex_unlock(uv_mutex_t *m)
{
    if (pthread_mutex_unlock(m)) {
        abort();
    }
}

int uv_sem_init(uv_sem_t *sem, unsigned int value)
{
    return sem_init(sem, 0, value) ? UV__ERR(errno) : 0;
}

void uv_sem_destroy(uv_sem_t *sem)
{
    sem_destroy(sem);
}

void uv_sem_post(uv_sem_t *sem)
{
    sem_post(sem);
}

void uv_sem_wait(uv_sem_t *sem)
{
    int r;

    do {
        r = sem_wait(sem);
    } while (r == -1 && errno == EINTR);
}

int uv_sem_trywait(uv_sem_t *sem)
{
    int r;

    do {
        r = sem_trywait(sem);
    } while (r == -1 && errno == EINTR);
    if (r) {
        return errno == EAGAIN ? UV_EAGAIN : UV__ERR(errno);
    }
    return 0;
}

int uv_cond_init(uv_cond_t *cond)
{
    pthread_condattr_t attr;
    int err;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    err = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return UV__ERR(err);
}

void uv_cond_destroy(uv_cond_t *cond)
{
    pthread_cond_destroy(cond);
}

void uv_cond_signal(uv_cond_t *cond)
{
    pthread_cond_signal(cond);
}

void uv_cond_broadcast(uv_cond_t *cond)
{
    pthread_cond_broadcast(cond);
}

void uv_cond_wait(uv_cond_t *cond, uv_mutex_t *mutex)
{
    pthread_cond_wait(cond, mutex);
}

int uv_cond_timedwait(uv_cond_t *cond, uv_mutex_t *mutex, uint64_t timeout)
{
    struct timespec ts;
    uint64_t abs = uv_hrtime() + timeout;
    int r;

    ts.tv_sec = (time_t)(abs / 1000000000u);
    ts.tv_nsec = (long)(abs % 1000000000u);
    r = pthread_cond_timedwait(cond, mutex, &ts);
    if (r == ETIMEDOUT) {
        return UV_ETIMEDOUT;
    }
    return UV__ERR(r);
}

/*
 * Barriers on a mutex and a condition: uv_barrier_destroy() waits until every
 * waiter has left uv_barrier_wait(), so the thread that returns first may
 * destroy it (glibc's pthread_barrier_destroy would race with the leavers).
 * The last thread to leave is the "serial" one.
 */
int uv_barrier_init(uv_barrier_t *barrier, unsigned int count)
{
    int err;

    if (barrier == NULL || count == 0) {
        return UV_EINVAL;
    }
    barrier->threshold = count;
    barrier->in = 0;
    barrier->out = 0;
    err = pthread_mutex_init(&barrier->mutex, NULL);
    if (err) {
        return UV__ERR(err);
    }
    err = pthread_cond_init(&barrier->cond, NULL);
    if (err) {
        pthread_mutex_destroy(&barrier->mutex);
        return UV__ERR(err);
    }
    return 0;
}

int uv_barrier_wait(uv_barrier_t *barrier)
{
    int last;

    pthread_mutex_lock(&barrier->mutex);
    if (++barrier->in == barrier->threshold) {
        barrier->in = 0;
        barrier->out = barrier->threshold;
        pthread_cond_broadcast(&barrier->cond);
    } else {
        do {
            pthread_cond_wait(&barrier->cond, &barrier->mutex);
        } while (barrier->in != 0);
    }
    last = (--barrier->out == 0);
    if (last) {
        pthread_cond_broadcast(&barrier->cond);
    }
    pthread_mutex_unlock(&barrier->mutex);
    return last;
}

void uv_barrier_destroy(uv_barrier_t *barrier)
{
    pthread_mutex_lock(&barrier->mutex);
    while (barrier->out != 0) {
        pthread_cond_wait(&barrier->cond, &barrier->mutex);
    }
    pthread_mutex_unlock(&barrier->mutex);
    pthread_cond_destroy(&barrier->cond);
    pthread_mutex_destroy(&barrier->mutex);
}

void uv_once(uv_once_t *guard, void (*callback)(void))
{
    pthread_once(guard, callback);
}

/* ---------------------------------------------------------------------- */
/* Not implemented                                                         */

int uv_udp_init(uv_loop_t *loop, uv_udp_t *handle)
{
    (void)loop;
    (void)handle;
    return UV_ENOSYS;
}

int uv_udp_init_ex(uv_loop_t *loop, uv_udp_t *handle, unsigned int flags)
{
    (void)flags;
    return uv_udp_init(loop, handle);
}

int uv_udp_bind(uv_udp_t *handle, const struct sockaddr *addr, unsigned int flags)
{
    (void)handle;
    (void)addr;
    (void)flags;
    return UV_ENOSYS;
}

int uv_udp_getsockname(const uv_udp_t *handle, struct sockaddr *name, int *namelen)
{
    (void)handle;
    (void)name;
    (void)namelen;
    return UV_ENOSYS;
}

int uv_udp_send(uv_udp_send_t *req, uv_udp_t *handle, const uv_buf_t bufs[], unsigned int nbufs,
                const struct sockaddr *addr, uv_udp_send_cb send_cb)
{
    (void)req;
    (void)handle;
    (void)bufs;
    (void)nbufs;
    (void)addr;
    (void)send_cb;
    return UV_ENOSYS;
}

int uv_udp_recv_start(uv_udp_t *handle, uv_alloc_cb alloc_cb, uv_udp_recv_cb recv_cb)
{
    (void)handle;
    (void)alloc_cb;
    (void)recv_cb;
    return UV_ENOSYS;
}

int uv_udp_recv_stop(uv_udp_t *handle)
{
    (void)handle;
    return UV_ENOSYS;
}

int uv_spawn(uv_loop_t *loop, uv_process_t *handle, const uv_process_options_t *options)
{
    (void)loop;
    (void)handle;
    (void)options;
    return UV_ENOSYS;
}

int uv_process_kill(uv_process_t *handle, int signum)
{
    (void)handle;
    (void)signum;
    return UV_ENOSYS;
}

int uv_fs_event_init(uv_loop_t *loop, uv_fs_event_t *handle)
{
    (void)loop;
    (void)handle;
    return UV_ENOSYS;
}

int uv_fs_event_start(uv_fs_event_t *handle, uv_fs_event_cb cb, const char *path,
                      unsigned int flags)
{
    (void)handle;
    (void)cb;
    (void)path;
    (void)flags;
    return UV_ENOSYS;
}

int uv_fs_poll_init(uv_loop_t *loop, uv_fs_poll_t *handle)
{
    (void)loop;
    (void)handle;
    return UV_ENOSYS;
}

int uv_fs_poll_start(uv_fs_poll_t *handle, uv_fs_poll_cb poll_cb, const char *path,
                     unsigned int interval)
{
    (void)handle;
    (void)poll_cb;
    (void)path;
    (void)interval;
    return UV_ENOSYS;
}

int uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req, uv_getaddrinfo_cb cb,
                   const char *node, const char *service, const struct addrinfo *hints)
{
    (void)loop;
    (void)req;
    (void)cb;
    (void)node;
    (void)service;
    (void)hints;
    return UV_ENOSYS;
}

void uv_freeaddrinfo(struct addrinfo *ai)
{
    if (ai != NULL) {
        freeaddrinfo(ai);
    }
}

int uv_getnameinfo(uv_loop_t *loop, uv_getnameinfo_t *req, uv_getnameinfo_cb cb,
                   const struct sockaddr *addr, int flags)
{
    (void)loop;
    (void)req;
    (void)cb;
    (void)addr;
    (void)flags;
    return UV_ENOSYS;
}

int uv_random(uv_loop_t *loop, uv_random_t *req, void *buf, size_t buflen, unsigned flags,
              uv_random_cb cb)
{
    (void)loop;
    (void)req;
    (void)buf;
    (void)buflen;
    (void)flags;
    (void)cb;
    return UV_ENOSYS;
}

/* File system: synchronous unlink only. */
static int fs_init(uv_fs_t *req, uv_loop_t *loop, uv_fs_type type, const char *path,
                   uv_fs_cb cb)
{
    if (req == NULL) {
        return UV_EINVAL;
    }
    memset(req, 0, sizeof(*req));
    req->type = UV_FS;
    req->fs_type = type;
    req->loop = loop;
    req->cb = cb;
    req->path = path;
    return cb != NULL ? UV_ENOSYS : 0;
}

void uv_fs_req_cleanup(uv_fs_t *req)
{
    if (req != NULL) {
        req->path = NULL;
        req->ptr = NULL;
    }
}

uv_fs_type uv_fs_get_type(const uv_fs_t *req)
{
    return req->fs_type;
}

ssize_t uv_fs_get_result(const uv_fs_t *req)
{
    return req->result;
}

void *uv_fs_get_ptr(const uv_fs_t *req)
{
    return req->ptr;
}

const char *uv_fs_get_path(const uv_fs_t *req)
{
    return req->path;
}

uv_stat_t *uv_fs_get_statbuf(uv_fs_t *req)
{
    return &req->statbuf;
}

int uv_fs_unlink(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb)
{
    int err = fs_init(req, loop, UV_FS_UNLINK, path, cb);

    if (err < 0) {
        return err;
    }
    req->result = unlink(path) ? UV__ERR(errno) : 0;
    return (int)req->result;
}

#define UV__FS_NOSYS(name, type, ...)                                                    \
    int uv_fs_##name(uv_loop_t *loop, uv_fs_t *req, __VA_ARGS__, uv_fs_cb cb)            \
    {                                                                                    \
        int err = fs_init(req, loop, type, NULL, cb);                                    \
        if (err < 0) {                                                                   \
            return err;                                                                  \
        }                                                                                \
        req->result = UV_ENOSYS;                                                         \
        return UV_ENOSYS;                                                                \
    }

UV__FS_NOSYS(close, UV_FS_CLOSE, uv_file file __attribute__((unused)))
UV__FS_NOSYS(open, UV_FS_OPEN, const char *path __attribute__((unused)),
             int flags __attribute__((unused)), int mode __attribute__((unused)))
UV__FS_NOSYS(read, UV_FS_READ, uv_file file __attribute__((unused)),
             const uv_buf_t bufs[] __attribute__((unused)),
             unsigned int nbufs __attribute__((unused)), int64_t off __attribute__((unused)))
UV__FS_NOSYS(write, UV_FS_WRITE, uv_file file __attribute__((unused)),
             const uv_buf_t bufs[] __attribute__((unused)),
             unsigned int nbufs __attribute__((unused)), int64_t off __attribute__((unused)))
UV__FS_NOSYS(mkdir, UV_FS_MKDIR, const char *path __attribute__((unused)),
             int mode __attribute__((unused)))
UV__FS_NOSYS(scandir, UV_FS_SCANDIR, const char *path __attribute__((unused)),
             int flags __attribute__((unused)))
UV__FS_NOSYS(stat, UV_FS_STAT, const char *path __attribute__((unused)))
UV__FS_NOSYS(fstat, UV_FS_FSTAT, uv_file file __attribute__((unused)))
UV__FS_NOSYS(lstat, UV_FS_LSTAT, const char *path __attribute__((unused)))
UV__FS_NOSYS(rename, UV_FS_RENAME, const char *path __attribute__((unused)),
             const char *new_path __attribute__((unused)))
UV__FS_NOSYS(fsync, UV_FS_FSYNC, uv_file file __attribute__((unused)))
UV__FS_NOSYS(fdatasync, UV_FS_FDATASYNC, uv_file file __attribute__((unused)))
UV__FS_NOSYS(ftruncate, UV_FS_FTRUNCATE, uv_file file __attribute__((unused)),
             int64_t off __attribute__((unused)))
UV__FS_NOSYS(sendfile, UV_FS_SENDFILE, uv_file out_fd __attribute__((unused)),
             uv_file in_fd __attribute__((unused)), int64_t off __attribute__((unused)),
             size_t len __attribute__((unused)))
UV__FS_NOSYS(chmod, UV_FS_CHMOD, const char *path __attribute__((unused)),
             int mode __attribute__((unused)))
UV__FS_NOSYS(fchmod, UV_FS_FCHMOD, uv_file file __attribute__((unused)),
             int mode __attribute__((unused)))
UV__FS_NOSYS(utime, UV_FS_UTIME, const char *path __attribute__((unused)),
             double atime __attribute__((unused)), double mtime __attribute__((unused)))
UV__FS_NOSYS(futime, UV_FS_FUTIME, uv_file file __attribute__((unused)),
             double atime __attribute__((unused)), double mtime __attribute__((unused)))
UV__FS_NOSYS(link, UV_FS_LINK, const char *path __attribute__((unused)),
             const char *new_path __attribute__((unused)))
UV__FS_NOSYS(symlink, UV_FS_SYMLINK, const char *path __attribute__((unused)),
             const char *new_path __attribute__((unused)), int flags __attribute__((unused)))
UV__FS_NOSYS(readlink, UV_FS_READLINK, const char *path __attribute__((unused)))
UV__FS_NOSYS(realpath, UV_FS_REALPATH, const char *path __attribute__((unused)))
UV__FS_NOSYS(chown, UV_FS_CHOWN, const char *path __attribute__((unused)),
             uv_uid_t uid __attribute__((unused)), uv_gid_t gid __attribute__((unused)))
UV__FS_NOSYS(fchown, UV_FS_FCHOWN, uv_file file __attribute__((unused)),
             uv_uid_t uid __attribute__((unused)), uv_gid_t gid __attribute__((unused)))
