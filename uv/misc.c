/*
 * misc.c — errors, version, buffers, ip helpers, process and OS wrappers.
 * Threads and synchronisation are in thread.c, the UV_ENOSYS stubs in nosys.c.
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
