/*
 * Plain TCP sockets for the router's fast path, driven by Node's own event loop (libuv) and
 * handed to JavaScript as bytes. Why this exists: a proxied request on Node's net.Socket costs
 * its streams machinery (Readable push and 'data' emit, Writable buffering, a nextTick per write)
 * plus the garbage those make, about three times what nginx spends on the whole request here
 * (docs/router.md). These sockets read into one buffer and call JavaScript once per read, and
 * write straight to the kernel, buffering only what it will not take yet.
 *
 * Everything HTTP stays in TypeScript (router/fast-proxy.ts and router/native-sockets.ts, which
 * wraps this module): this file knows sockets, not requests.
 *
 * One Node environment per process (the router never loads it in a worker thread), so the
 * environment and the callbacks are kept in statics.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

/* The largest read handed to JavaScript at once. */
#define READ_BYTES (64 * 1024)
/* Connections accepted per readiness event, so a flood of connects cannot starve the rest. */
#define ACCEPTS_PER_EVENT 64

enum callback { ON_CONNECTION, ON_CONNECT, ON_DATA, ON_END, ON_DRAIN, ON_CLOSE, CALLBACK_COUNT };

static napi_env env_;
static napi_ref callbacks_[CALLBACK_COUNT];
static napi_async_context async_context_;
static uv_loop_t *loop_;
static char read_buffer_[READ_BYTES];

typedef struct sock {
  uv_poll_t poll; /* poll.data points back here */
  int fd;
  int events;       /* what poll watches now */
  int paused;       /* reading stopped by JavaScript */
  int connecting;   /* a connect() still under way */
  int shutdown_due; /* end() called: shut the write side once pending bytes are out */
  int shutdown_done; /* the write side is shut */
  int read_done;    /* the peer ended its side (EOF seen) */
  int closing;      /* destroy() or detach() called */
  int detached;     /* the fd now belongs to someone else: do not close it */
  int error;        /* errno that ended the socket, reported with ON_CLOSE */
  napi_ref object;  /* the JavaScript NativeSocket, held while the socket is open */
  char *pending;    /* bytes the kernel did not take yet */
  size_t pending_start, pending_end, pending_capacity;
} sock;

typedef struct listener {
  uv_poll_t poll;
  uv_timer_t pause; /* while out of descriptors: accepting waits for this */
  int fd;
  int port;
  int closing;
  int handles_closed; /* of poll and pause: the memory goes with the second */
  napi_ref object;
} listener;

/* Out of file descriptors: how long accepting waits before it tries again. */
#define ACCEPT_RETRY_MS 100

/* ------------------------------------------------------------------ calling JavaScript */

/* Calls a registered callback the way Node calls its own (so nextTick and promise jobs run after). */
static void call_back(enum callback which, size_t argc, napi_value *argv) {
  napi_value fn, receiver, result;
  napi_get_reference_value(env_, callbacks_[which], &fn);
  napi_get_global(env_, &receiver);
  napi_status status = napi_make_callback(env_, async_context_, receiver, fn, argc, argv, &result);
  if (status == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env_, &exception);
    napi_fatal_exception(env_, exception);
  }
}

static napi_value object_of(napi_ref ref) {
  napi_value value;
  napi_get_reference_value(env_, ref, &value);
  return value;
}

/* Calls a socket callback whose only argument is the socket's JavaScript object. */
static void notify(napi_ref object, enum callback which) {
  napi_handle_scope scope;
  napi_open_handle_scope(env_, &scope);
  napi_value argv[1] = {object_of(object)};
  call_back(which, 1, argv);
  napi_close_handle_scope(env_, scope);
}

static napi_value throw_errno(napi_env env, const char *syscall, int error) {
  napi_value code, message, exception;
  const char *name = uv_err_name(uv_translate_sys_error(error));
  char text[256];
  snprintf(text, sizeof text, "%s %s: %s", syscall, name, strerror(error));
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &exception);
  napi_throw(env, exception);
  return NULL;
}

/* ------------------------------------------------------------------ sockets */

static void on_sock_event(uv_poll_t *poll, int status, int events);

static void watch(sock *s, int events) {
  if (s->closing || events == s->events) return;
  s->events = events;
  if (events == 0) uv_poll_stop(&s->poll);
  else uv_poll_start(&s->poll, events, on_sock_event);
}

/* What poll should watch: writability while connecting or while bytes wait, readability unless paused. */
static void rewatch(sock *s) {
  int events = 0;
  if (s->connecting || s->pending_end > s->pending_start) events |= UV_WRITABLE;
  if (!s->connecting && !s->paused && !s->read_done) events |= UV_READABLE;
  watch(s, events);
}

static void free_sock(uv_handle_t *handle) {
  sock *s = handle->data;
  if (!s->detached) {
    close(s->fd);
    napi_handle_scope scope;
    napi_open_handle_scope(env_, &scope);
    napi_value argv[2];
    argv[0] = object_of(s->object);
    napi_create_int32(env_, s->error, &argv[1]);
    napi_delete_reference(env_, s->object);
    call_back(ON_CLOSE, 2, argv);
    napi_close_handle_scope(env_, scope);
  } else {
    napi_delete_reference(env_, s->object);
  }
  free(s->pending);
  free(s);
}

/* Stops watching at once; the fd is closed and ON_CLOSE called on the loop's next turn. */
static void close_sock(sock *s, int error) {
  if (s->closing) return;
  if (error != 0 && s->error == 0) s->error = error;
  s->closing = 1;
  uv_close((uv_handle_t *)&s->poll, free_sock);
}

/* Both directions done (the peer ended, and so did we, everything sent): closed, as net.Socket does. */
static void close_if_finished(sock *s) {
  if (s->read_done && s->shutdown_done) close_sock(s, 0);
}

static void shut_write_side(sock *s) {
  shutdown(s->fd, SHUT_WR);
  s->shutdown_done = 1;
  close_if_finished(s);
}

static sock *new_sock(int fd, napi_value object) {
  sock *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->fd = fd;
  uv_poll_init_socket(loop_, &s->poll, fd);
  s->poll.data = s;
  napi_create_reference(env_, object, 1, &s->object);
  return s;
}

static void flush_pending(sock *s) {
  while (s->pending_end > s->pending_start) {
    ssize_t n = send(s->fd, s->pending + s->pending_start, s->pending_end - s->pending_start, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      close_sock(s, errno);
      return;
    }
    s->pending_start += (size_t)n;
  }
  s->pending_start = s->pending_end = 0;
  if (s->shutdown_due) shut_write_side(s);
  if (s->closing) return;
  rewatch(s);
  notify(s->object, ON_DRAIN);
}

static void finish_connect(sock *s) {
  int error = 0;
  socklen_t length = sizeof error;
  if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error == EINPROGRESS) return;
  if (error != 0) {
    close_sock(s, error);
    return;
  }
  s->connecting = 0;
  rewatch(s);
  notify(s->object, ON_CONNECT);
  /* Bytes written while connecting go out now, after 'connect' (as with net.Socket). */
  if (s->closing) return;
  if (s->pending_end > s->pending_start) flush_pending(s);
  else if (s->shutdown_due) shut_write_side(s);
}

static void read_some(sock *s) {
  ssize_t n = recv(s->fd, read_buffer_, READ_BYTES, 0);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) close_sock(s, errno);
    return;
  }
  if (n == 0) {
    s->read_done = 1;
    rewatch(s);
    notify(s->object, ON_END);
    close_if_finished(s);
    return;
  }
  napi_handle_scope scope;
  napi_open_handle_scope(env_, &scope);
  napi_value argv[2];
  argv[0] = object_of(s->object);
  void *data;
  napi_create_buffer_copy(env_, (size_t)n, read_buffer_, &data, &argv[1]);
  call_back(ON_DATA, 2, argv);
  napi_close_handle_scope(env_, scope);
}

static void on_sock_event(uv_poll_t *poll, int status, int events) {
  sock *s = poll->data;
  if (s->closing) return;
  if (status < 0) {
    /* libuv reports the pending socket error; fetch it for the message */
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &length);
    close_sock(s, error != 0 ? error : EIO);
    return;
  }
  if (s->connecting) {
    if (events & (UV_WRITABLE | UV_DISCONNECT)) finish_connect(s);
    return;
  }
  if ((events & UV_WRITABLE) && s->pending_end > s->pending_start) flush_pending(s);
  if (!s->closing && (events & (UV_READABLE | UV_DISCONNECT)) && !s->paused && !s->read_done) read_some(s);
}

static int append_pending(sock *s, const char *data, size_t length) {
  if (s->pending_start > 0 && s->pending_end == s->pending_start) s->pending_start = s->pending_end = 0;
  if (s->pending_end + length > s->pending_capacity) {
    size_t used = s->pending_end - s->pending_start;
    if (s->pending_start > 0) memmove(s->pending, s->pending + s->pending_start, used);
    s->pending_start = 0;
    s->pending_end = used;
    if (used + length > s->pending_capacity) {
      size_t capacity = s->pending_capacity == 0 ? 16384 : s->pending_capacity;
      while (capacity < used + length) capacity *= 2;
      char *grown = realloc(s->pending, capacity);
      if (grown == NULL) return -1;
      s->pending = grown;
      s->pending_capacity = capacity;
    }
  }
  memcpy(s->pending + s->pending_end, data, length);
  s->pending_end += length;
  return 0;
}

/* Sends what the kernel takes now and keeps the rest; false when anything is kept (back off). */
static int write_bytes(sock *s, const char *data, size_t length) {
  if (s->closing) return 0;
  size_t sent = 0;
  if (!s->connecting && s->pending_end == s->pending_start) {
    while (sent < length) {
      ssize_t n = send(s->fd, data + sent, length - sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;
        close_sock(s, errno);
        return 0;
      }
      sent += (size_t)n;
    }
    if (sent == length) return 1;
  }
  if (append_pending(s, data + sent, length - sent) != 0) {
    close_sock(s, ENOMEM);
    return 0;
  }
  rewatch(s);
  return 0;
}

static sock *sock_of(napi_env env, napi_value value) {
  void *data = NULL;
  napi_get_value_external(env, value, &data);
  return data;
}

/* The arguments of a call whose first one is a socket handle (up to `count` into argv); the socket. */
static sock *socket_call(napi_env env, napi_callback_info info, size_t count, napi_value *argv) {
  napi_get_cb_info(env, info, &count, argv, NULL, NULL);
  return sock_of(env, argv[0]);
}

/* write(handle, data: Buffer | latin1 string, then?: Buffer): boolean — `then` goes out in the same send */
static napi_value js_write(napi_env env, napi_callback_info info) {
  static char joined[64 * 1024];
  napi_value argv[3] = {NULL, NULL, NULL}, result;
  sock *s = socket_call(env, info, 3, argv);
  void *then = NULL;
  size_t then_length = 0;
  if (argv[2] != NULL) {
    bool is_buffer = false;
    napi_is_buffer(env, argv[2], &is_buffer);
    if (is_buffer) napi_get_buffer_info(env, argv[2], &then, &then_length);
  }
  int flowing;
  bool is_buffer = false;
  napi_is_buffer(env, argv[1], &is_buffer);
  if (is_buffer) {
    void *data;
    size_t length;
    napi_get_buffer_info(env, argv[1], &data, &length);
    flowing = write_bytes(s, data, length);
    if (then_length > 0) flowing = write_bytes(s, then, then_length);
  } else {
    size_t length;
    napi_get_value_string_latin1(env, argv[1], NULL, 0, &length);
    char *text = length + then_length < sizeof joined ? joined : malloc(length + then_length + 1);
    if (text == NULL) return throw_errno(env, "write", ENOMEM);
    napi_get_value_string_latin1(env, argv[1], text, length + 1, &length);
    if (then_length > 0) memcpy(text + length, then, then_length);
    flowing = write_bytes(s, text, length + then_length);
    if (text != joined) free(text);
  }
  napi_get_boolean(env, flowing, &result);
  return result;
}

/* setPaused(handle, paused: boolean) */
static napi_value js_set_paused(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  sock *s = socket_call(env, info, 2, argv);
  bool paused;
  napi_get_value_bool(env, argv[1], &paused);
  s->paused = paused;
  rewatch(s);
  return NULL;
}

/* end(handle): no more writes; the write side is shut once pending bytes are out */
static napi_value js_end(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sock *s = socket_call(env, info, 1, argv);
  if (s->closing || s->shutdown_due) return NULL;
  s->shutdown_due = 1;
  if (!s->connecting && s->pending_end == s->pending_start) shut_write_side(s);
  return NULL;
}

/* destroy(handle): closed now; ON_CLOSE follows on the loop's next turn */
static napi_value js_destroy(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  close_sock(socket_call(env, info, 1, argv), 0);
  return NULL;
}

/* detach(handle): the fd, no longer watched here, for a net.Socket to take over (no ON_CLOSE) */
static napi_value js_detach(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  sock *s = socket_call(env, info, 1, argv);
  if (s->closing || s->pending_end > s->pending_start) {
    napi_get_null(env, &result);
    return result;
  }
  s->detached = 1;
  s->closing = 1;
  int fd = s->fd;
  uv_close((uv_handle_t *)&s->poll, free_sock);
  napi_create_int32(env, fd, &result);
  return result;
}

static int resolve(const char *host, int port, int passive, struct sockaddr_storage *address, socklen_t *length) {
  struct addrinfo hints = {0}, *found;
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : AI_NUMERICHOST);
  int failed = getaddrinfo(host[0] == '\0' ? NULL : host, service, &hints, &found);
  if (failed != 0) return failed == EAI_SYSTEM ? errno : EINVAL;
  memcpy(address, found->ai_addr, found->ai_addrlen);
  *length = found->ai_addrlen;
  freeaddrinfo(found);
  return 0;
}

/* A non-blocking TCP socket for the host and port given as JavaScript values, with its address
   in `address`; -1 once an exception is thrown. */
static int open_socket(napi_env env, napi_value host_value, napi_value port_value, int passive, const char *syscall,
                       struct sockaddr_storage *address, socklen_t *length) {
  char host[256];
  size_t host_length;
  int32_t port;
  napi_get_value_string_utf8(env, host_value, host, sizeof host, &host_length);
  napi_get_value_int32(env, port_value, &port);
  int error = resolve(host, port, passive, address, length);
  if (error != 0) {
    throw_errno(env, syscall, error);
    return -1;
  }
  int fd = socket(address->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(env, "socket", errno);
  return fd;
}

/* connect(object, ip, port): handle — ON_CONNECT, or ON_CLOSE with the error */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_storage address;
  socklen_t address_length;
  int fd = open_socket(env, argv[1], argv[2], 0, "connect", &address, &address_length);
  if (fd < 0) return NULL;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sock *s = new_sock(fd, argv[0]);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, "connect", ENOMEM);
  }
  s->connecting = 1;
  if (connect(fd, (struct sockaddr *)&address, address_length) != 0 && errno != EINPROGRESS) {
    close_sock(s, errno);
  } else {
    rewatch(s);
  }
  napi_create_external(env, s, NULL, NULL, &result);
  return result;
}

/* ------------------------------------------------------------------ listening */

static void format_address(const struct sockaddr_storage *address, char *text, size_t size, int *port) {
  if (address->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, size);
    *port = ntohs(in6->sin6_port);
  } else {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)address;
    inet_ntop(AF_INET, &in4->sin_addr, text, size);
    *port = ntohs(in4->sin_port);
  }
}

static void on_listener_event(uv_poll_t *poll, int status, int events);

static void resume_accepting(uv_timer_t *timer) {
  listener *l = timer->data;
  if (!l->closing) uv_poll_start(&l->poll, UV_READABLE, on_listener_event);
}

static void on_listener_event(uv_poll_t *poll, int status, int events) {
  listener *l = poll->data;
  (void)events;
  if (l->closing || status < 0) return;
  for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
    struct sockaddr_storage peer;
    socklen_t peer_length = sizeof peer;
    int fd = accept4(l->fd, (struct sockaddr *)&peer, &peer_length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      /* Out of descriptors, the pending connection stays queued and the descriptor readable: stop
         watching for a while rather than spin on it until a descriptor is free. */
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        uv_poll_stop(&l->poll);
        uv_timer_start(&l->pause, resume_accepting, ACCEPT_RETRY_MS, 0);
      }
      return; /* EAGAIN: all taken */
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char text[INET6_ADDRSTRLEN];
    int peer_port;
    format_address(&peer, text, sizeof text, &peer_port);
    napi_handle_scope scope;
    napi_open_handle_scope(env_, &scope);
    napi_value argv[4];
    argv[0] = object_of(l->object);
    napi_create_int32(env_, fd, &argv[1]);
    napi_create_string_latin1(env_, text, NAPI_AUTO_LENGTH, &argv[2]);
    napi_create_int32(env_, peer_port, &argv[3]);
    call_back(ON_CONNECTION, 4, argv);
    napi_close_handle_scope(env_, scope);
    if (l->closing) return;
  }
}

/* adopt(object, fd): handle — an accepted connection, watched from now on */
static napi_value js_adopt(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  napi_get_value_int32(env, argv[1], &fd);
  sock *s = new_sock(fd, argv[0]);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, "accept", ENOMEM);
  }
  rewatch(s);
  napi_create_external(env, s, NULL, NULL, &result);
  return result;
}

/* refuse(fd): closes an accepted connection JavaScript does not want */
static napi_value js_refuse(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  napi_get_value_int32(env, argv[0], &fd);
  close(fd);
  return NULL;
}

/* listen(object, host, port, reusePort): [handle, port] */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result, handle, port_value;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool reuse_port;
  napi_get_value_bool(env, argv[3], &reuse_port);
  struct sockaddr_storage address;
  socklen_t address_length;
  int fd = open_socket(env, argv[1], argv[2], 1, "listen", &address, &address_length);
  if (fd < 0) return NULL;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&address, address_length) != 0 || listen(fd, 511) != 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, "listen", error);
  }
  struct sockaddr_storage bound;
  socklen_t bound_length = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &bound_length);
  char text[INET6_ADDRSTRLEN];
  int bound_port;
  format_address(&bound, text, sizeof text, &bound_port);
  listener *l = calloc(1, sizeof *l);
  l->fd = fd;
  l->port = bound_port;
  uv_poll_init_socket(loop_, &l->poll, fd);
  l->poll.data = l;
  uv_timer_init(loop_, &l->pause);
  l->pause.data = l;
  uv_unref((uv_handle_t *)&l->pause);
  napi_create_reference(env, argv[0], 1, &l->object);
  uv_poll_start(&l->poll, UV_READABLE, on_listener_event);
  napi_create_external(env, l, NULL, NULL, &handle);
  napi_create_int32(env, bound_port, &port_value);
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, handle);
  napi_set_element(env, result, 1, port_value);
  return result;
}

static void listener_handle_closed(uv_handle_t *handle) {
  listener *l = handle->data;
  if (++l->handles_closed < 2) return;
  napi_delete_reference(env_, l->object);
  free(l);
}

/* closeListener(handle): stops accepting at once */
static napi_value js_close_listener(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  listener *l;
  napi_get_value_external(env, argv[0], (void **)&l);
  if (l->closing) return NULL;
  l->closing = 1;
  /* uv_close takes the descriptor out of the loop's epoll set at once; only then may it be closed
     (libuv would otherwise remove whatever socket gets that number next). Closing now refuses the
     next connection at once, as net.Server does. */
  uv_close((uv_handle_t *)&l->poll, listener_handle_closed);
  close(l->fd);
  uv_close((uv_handle_t *)&l->pause, listener_handle_closed);
  return NULL;
}

/* init({ onConnection, onConnect, onData, onEnd, onDrain, onClose }) */
static napi_value js_init(napi_env env, napi_callback_info info) {
  static const char *names[CALLBACK_COUNT] = {"onConnection", "onConnect", "onData", "onEnd", "onDrain", "onClose"};
  size_t argc = 1;
  napi_value argv[1], name;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (env_ != NULL) {
    napi_throw_error(env, NULL, "native sockets are already initialised in this process");
    return NULL;
  }
  env_ = env;
  napi_get_uv_event_loop(env, &loop_);
  for (int i = 0; i < CALLBACK_COUNT; i++) {
    napi_value fn;
    napi_get_named_property(env, argv[0], names[i], &fn);
    napi_create_reference(env, fn, 1, &callbacks_[i]);
  }
  napi_create_string_utf8(env, "slipway:native-socket", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, argv[0], name, &async_context_);
  return NULL;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"init", js_init},       {"listen", js_listen}, {"closeListener", js_close_listener}, {"adopt", js_adopt},
      {"refuse", js_refuse},   {"connect", js_connect}, {"write", js_write}, {"setPaused", js_set_paused},
      {"end", js_end},         {"destroy", js_destroy}, {"detach", js_detach},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, functions[i].name, fn);
  }
  return exports;
}
