// Batched datagram I/O for horizond over Node-API.
//
// One UDP socket per handle, watched by the Node event loop through a uv_poll_t. When it is
// readable, one recvmmsg() fills up to `batch` receive slots (preallocated buffers shared with
// JavaScript) and their metadata, then JavaScript is called once for the whole batch. Replies
// written into the shared send slots go out with one sendmmsg() when JavaScript calls flush().
// Replies that come later (forwarded answers) go out one by one through send(). Whatever the
// kernel refuses with EAGAIN waits in a bounded queue until the socket is writable again.
//
// With a wildcard bind, IP_PKTINFO / IPV6_RECVPKTINFO report the address each query came to;
// the reply carries it back as its source address, so a multi-homed host answers from the
// address it was asked on. IPv4-mapped IPv6 peers and local addresses are reported as IPv4.
//
// Shared metadata layout (one 64-byte record per receive slot; the same layout for the `dest`
// scratch record read by send()):
//   0  u32 length of the datagram in the slot (bytes kept)
//   4  u32 flags: 1 = truncated (MSG_TRUNC: larger than the slot)
//   8  u16 peer port (host order)
//   10 u8  peer family (4 or 6)
//   11 u8  local address index (0 = none: the kernel picks the source address)
//   12 16 bytes peer address (IPv4 in the first 4)
// Send slot metadata: 16 bytes per slot: u32 length, u32 receive slot whose peer is answered.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define META 64
#define TXMETA 16
#define CTL 64
#define MAX_LOCAL 255
#define QUEUE_MAX_BYTES (4u << 20)

enum { S_RECEIVED, S_TRUNCATED, S_BATCHES, S_SENT, S_QUEUED, S_QUEUE_DROPPED, S_SEND_ERRORS, S_RECV_ERRORS, S_COUNT };

typedef struct qitem {
  struct qitem* next;
  size_t len;
  struct sockaddr_storage to;
  socklen_t tolen;
  size_t ctllen;
  char ctl[CTL];
  uint8_t data[];
} qitem;

typedef struct {
  int family;  // 4 or 6
  uint32_t ifindex;
  uint8_t addr[16];
} local_t;

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int sock_family;  // AF_INET or AF_INET6
  int pktinfo;      // wildcard bind: read and write the local address
  int closed;       // close() called
  int handle_gone;  // uv_close callback ran
  int finalized;    // the JavaScript handle was collected
  int events;       // what the poll watches now
  napi_ref cb;
  napi_ref keep[5];
  napi_async_context actx;
  uint8_t *rx, *rxm, *tx, *txm, *dest;
  uint32_t batch, rxslot, txslot;
  struct mmsghdr* rmsg;
  struct iovec* riov;
  struct sockaddr_storage* raddr;
  char* rctl;
  struct mmsghdr* smsg;
  struct iovec* siov;
  struct sockaddr_storage* saddr;
  char* sctl;
  local_t local[MAX_LOCAL];
  int nlocal;
  qitem *qhead, *qtail;
  size_t qbytes;
  double stats[S_COUNT];
} ub_t;

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "udp-batch: Node-API call failed"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char* what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, uv_err_name(-err), msg);
  return NULL;
}

// ---- addresses ---------------------------------------------------------------------------

static int intern_local(ub_t* u, int family, const uint8_t* addr, uint32_t ifindex) {
  if (family == 4) ifindex = 0;  // IPv4 replies need the address only
  int n = family == 4 ? 4 : 16;
  for (int i = 0; i < u->nlocal; i++) {
    local_t* l = &u->local[i];
    if (l->family == family && l->ifindex == ifindex && memcmp(l->addr, addr, n) == 0) return i + 1;
  }
  if (u->nlocal >= MAX_LOCAL) return 0;
  local_t* l = &u->local[u->nlocal++];
  memset(l, 0, sizeof *l);
  l->family = family;
  l->ifindex = ifindex;
  memcpy(l->addr, addr, n);
  return u->nlocal;
}

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Writes the peer of `ss` into a metadata record.
static void peer_to_meta(const struct sockaddr_storage* ss, uint8_t* m) {
  uint16_t port = 0;
  memset(m + 12, 0, 16);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in* s4 = (const struct sockaddr_in*)ss;
    port = ntohs(s4->sin_port);
    m[10] = 4;
    memcpy(m + 12, &s4->sin_addr, 4);
  } else {
    const struct sockaddr_in6* s6 = (const struct sockaddr_in6*)ss;
    port = ntohs(s6->sin6_port);
    if (memcmp(s6->sin6_addr.s6_addr, v4mapped, 12) == 0) {
      m[10] = 4;
      memcpy(m + 12, s6->sin6_addr.s6_addr + 12, 4);
    } else {
      m[10] = 6;
      memcpy(m + 12, s6->sin6_addr.s6_addr, 16);
    }
  }
  memcpy(m + 8, &port, 2);
}

// Builds the destination socket address from a metadata record; 0 when it cannot be sent from
// this socket (an IPv6 peer on an IPv4 socket).
static socklen_t meta_to_peer(const ub_t* u, const uint8_t* m, struct sockaddr_storage* ss) {
  uint16_t port;
  memcpy(&port, m + 8, 2);
  memset(ss, 0, sizeof *ss);
  if (u->sock_family == AF_INET) {
    if (m[10] != 4) return 0;
    struct sockaddr_in* s4 = (struct sockaddr_in*)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    memcpy(&s4->sin_addr, m + 12, 4);
    return sizeof *s4;
  }
  struct sockaddr_in6* s6 = (struct sockaddr_in6*)ss;
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(port);
  if (m[10] == 4) {
    memcpy(s6->sin6_addr.s6_addr, v4mapped, 12);
    memcpy(s6->sin6_addr.s6_addr + 12, m + 12, 4);
  } else {
    memcpy(s6->sin6_addr.s6_addr, m + 12, 16);
  }
  return sizeof *s6;
}

// The control message that sets the reply's source address; returns its length (0: none).
static size_t local_to_ctl(const ub_t* u, int idx, char* buf) {
  if (idx <= 0 || idx > u->nlocal) return 0;
  const local_t* l = &u->local[idx - 1];
  memset(buf, 0, CTL);
  struct cmsghdr* c = (struct cmsghdr*)buf;
  if (l->family == 4) {
    // Accepted on IPv6 sockets too for IPv4(-mapped) destinations.
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo* pi = (struct in_pktinfo*)CMSG_DATA(c);
    memcpy(&pi->ipi_spec_dst, l->addr, 4);
    return CMSG_SPACE(sizeof(struct in_pktinfo));
  }
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
  struct in6_pktinfo* pi6 = (struct in6_pktinfo*)CMSG_DATA(c);
  memcpy(&pi6->ipi6_addr, l->addr, 16);
  pi6->ipi6_ifindex = l->ifindex;
  return CMSG_SPACE(sizeof(struct in6_pktinfo));
}

// Reads the address a datagram came to from its control messages (0: not reported).
static int ctl_to_local(ub_t* u, struct msghdr* h) {
  for (struct cmsghdr* c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      return intern_local(u, 4, (const uint8_t*)&pi.ipi_spec_dst, 0);
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi6;
      memcpy(&pi6, CMSG_DATA(c), sizeof pi6);
      if (memcmp(pi6.ipi6_addr.s6_addr, v4mapped, 12) == 0) return intern_local(u, 4, pi6.ipi6_addr.s6_addr + 12, 0);
      return intern_local(u, 6, pi6.ipi6_addr.s6_addr, pi6.ipi6_ifindex);
    }
  }
  return 0;
}

// ---- send queue --------------------------------------------------------------------------

static void on_poll(uv_poll_t* p, int status, int events);

static void watch(ub_t* u, int events) {
  if (u->closed) return;
  u->events = events;
  uv_poll_start(&u->poll, events, on_poll);
}

// Before start() nothing is watched; afterwards the watch follows the queue.
static void set_events(ub_t* u, int events) {
  if (u->closed || u->events == 0 || u->events == events) return;
  watch(u, events);
}

static int transient(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == EINTR; }

// Keeps a copy of a message the kernel could not take now; false when the queue is full.
static int enqueue(ub_t* u, const struct msghdr* h) {
  size_t len = 0;
  for (size_t i = 0; i < h->msg_iovlen; i++) len += h->msg_iov[i].iov_len;
  if (u->qbytes + len > QUEUE_MAX_BYTES) {
    u->stats[S_QUEUE_DROPPED]++;
    return 0;
  }
  qitem* q = malloc(sizeof *q + len);
  if (q == NULL) {
    u->stats[S_QUEUE_DROPPED]++;
    return 0;
  }
  q->next = NULL;
  q->len = len;
  memcpy(&q->to, h->msg_name, h->msg_namelen);
  q->tolen = h->msg_namelen;
  q->ctllen = h->msg_controllen;
  if (q->ctllen > 0) memcpy(q->ctl, h->msg_control, q->ctllen);
  size_t off = 0;
  for (size_t i = 0; i < h->msg_iovlen; i++) {
    memcpy(q->data + off, h->msg_iov[i].iov_base, h->msg_iov[i].iov_len);
    off += h->msg_iov[i].iov_len;
  }
  if (u->qtail) u->qtail->next = q;
  else u->qhead = q;
  u->qtail = q;
  u->qbytes += len;
  u->stats[S_QUEUED]++;
  if (!(u->events & UV_WRITABLE)) set_events(u, UV_READABLE | UV_WRITABLE);
  return 1;
}

static void drain(ub_t* u) {
  while (u->qhead != NULL) {
    qitem* q = u->qhead;
    struct iovec iov = {q->data, q->len};
    struct msghdr h = {&q->to, q->tolen, &iov, 1, q->ctllen ? q->ctl : NULL, q->ctllen, 0};
    if (sendmsg(u->fd, &h, MSG_DONTWAIT) < 0) {
      if (transient(errno)) return;  // still full: wait for the next writable event
      u->stats[S_SEND_ERRORS]++;
    } else {
      u->stats[S_SENT]++;
    }
    u->qhead = q->next;
    if (u->qhead == NULL) u->qtail = NULL;
    u->qbytes -= q->len;
    free(q);
  }
  set_events(u, UV_READABLE);
}

static void free_queue(ub_t* u) {
  while (u->qhead != NULL) {
    qitem* q = u->qhead;
    u->qhead = q->next;
    free(q);
  }
  u->qtail = NULL;
  u->qbytes = 0;
}

// ---- receive -----------------------------------------------------------------------------

static void call_js(ub_t* u, int n) {
  napi_env env = u->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, global, arg, result;
  if (napi_get_reference_value(env, u->cb, &cb) == napi_ok && cb != NULL && napi_get_global(env, &global) == napi_ok &&
      napi_create_uint32(env, (uint32_t)n, &arg) == napi_ok) {
    // make_callback: microtasks queued by the batch run when it returns, as for any I/O callback.
    napi_status st = napi_make_callback(env, u->actx, global, cb, 1, &arg, &result);
    if (st == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);  // 'uncaughtException', as an exception in a dgram listener
    }
  }
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t* p, int status, int events) {
  ub_t* u = p->data;
  if (u->closed) return;
  if (status < 0) {
    u->stats[S_RECV_ERRORS]++;
    return;
  }
  if (events & UV_WRITABLE) drain(u);
  if (!(events & UV_READABLE) || u->closed) return;
  for (uint32_t i = 0; i < u->batch; i++) {
    struct msghdr* h = &u->rmsg[i].msg_hdr;
    h->msg_namelen = sizeof(struct sockaddr_storage);
    h->msg_controllen = u->pktinfo ? CTL : 0;
    h->msg_flags = 0;
  }
  int n = recvmmsg(u->fd, u->rmsg, u->batch, MSG_DONTWAIT, NULL);
  if (n <= 0) {
    // A queued ICMP error (port unreachable from an earlier reply) is reported once here.
    if (n < 0 && !transient(errno)) u->stats[S_RECV_ERRORS]++;
    return;
  }
  for (int i = 0; i < n; i++) {
    struct msghdr* h = &u->rmsg[i].msg_hdr;
    uint8_t* m = u->rxm + (size_t)i * META;
    uint32_t len = u->rmsg[i].msg_len;
    uint32_t flags = (h->msg_flags & MSG_TRUNC) ? 1 : 0;
    if (flags) u->stats[S_TRUNCATED]++;
    memcpy(m, &len, 4);
    memcpy(m + 4, &flags, 4);
    peer_to_meta(&u->raddr[i], m);
    m[11] = (uint8_t)(u->pktinfo ? ctl_to_local(u, h) : 0);
  }
  u->stats[S_RECEIVED] += n;
  u->stats[S_BATCHES]++;
  call_js(u, n);
}

// ---- lifetime ----------------------------------------------------------------------------

static void release(ub_t* u) {
  free(u->rmsg);
  free(u->riov);
  free(u->raddr);
  free(u->rctl);
  free(u->smsg);
  free(u->siov);
  free(u->saddr);
  free(u->sctl);
  free(u);
}

static void on_closed(uv_handle_t* h) {
  ub_t* u = h->data;
  napi_env env = u->env;
  if (u->cb) napi_delete_reference(env, u->cb);
  for (int i = 0; i < 5; i++)
    if (u->keep[i]) napi_delete_reference(env, u->keep[i]);
  u->cb = NULL;
  memset(u->keep, 0, sizeof u->keep);
  if (u->actx) napi_async_destroy(env, u->actx);
  u->actx = NULL;
  u->handle_gone = 1;
  if (u->finalized) release(u);
}

static void begin_close(ub_t* u) {
  if (u->closed) return;
  u->closed = 1;
  uv_poll_stop(&u->poll);
  // uv_close() takes the fd out of epoll at once, so the socket can be closed now: the port is
  // free when close() returns (the handle's memory waits for the close callback).
  uv_close((uv_handle_t*)&u->poll, on_closed);
  close(u->fd);
  u->fd = -1;
  free_queue(u);
}

static void finalize(napi_env env, void* data, void* hint) {
  ub_t* u = data;
  u->finalized = 1;
  if (!u->closed) begin_close(u);
  else if (u->handle_gone) release(u);
}

static ub_t* get_handle(napi_env env, napi_value v) {
  void* data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "udp-batch: not a handle");
    return NULL;
  }
  return data;
}

static int get_buffer(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  void* p;
  if (napi_get_buffer_info(env, v, &p, len) != napi_ok) return 0;
  *data = p;
  return 1;
}

// open(family, address, port, ipv6Only, reusePort, rx, rxMeta, tx, txMeta, dest, batch, rxSlot, txSlot, onBatch)
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 14) {
    napi_throw_type_error(env, NULL, "udp-batch: open() takes 14 arguments");
    return NULL;
  }
  int32_t family, port;
  bool v6only, reuse;
  char addr[64];
  size_t alen;
  uint32_t batch, rxslot, txslot;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], addr, sizeof addr, &alen));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_bool(env, argv[3], &v6only));
  CHECK(napi_get_value_bool(env, argv[4], &reuse));
  CHECK(napi_get_value_uint32(env, argv[10], &batch));
  CHECK(napi_get_value_uint32(env, argv[11], &rxslot));
  CHECK(napi_get_value_uint32(env, argv[12], &txslot));
  uint8_t *rx, *rxm, *tx, *txm, *dest;
  size_t rxl, rxml, txl, txml, destl;
  if (!get_buffer(env, argv[5], &rx, &rxl) || !get_buffer(env, argv[6], &rxm, &rxml) || !get_buffer(env, argv[7], &tx, &txl) ||
      !get_buffer(env, argv[8], &txm, &txml) || !get_buffer(env, argv[9], &dest, &destl)) {
    napi_throw_type_error(env, NULL, "udp-batch: buffers expected");
    return NULL;
  }
  if (batch == 0 || batch > 1024 || rxl < (size_t)batch * rxslot || rxml < (size_t)batch * META || txl < (size_t)batch * txslot ||
      txml < (size_t)batch * TXMETA || destl < META) {
    napi_throw_range_error(env, NULL, "udp-batch: buffers too small for the batch");
    return NULL;
  }

  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sslen;
  int wildcard;
  if (family == 6) {
    struct sockaddr_in6* s6 = (struct sockaddr_in6*)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) return throw_errno(env, EINVAL, "udp-batch: bad IPv6 address");
    wildcard = IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
    sslen = sizeof *s6;
  } else {
    struct sockaddr_in* s4 = (struct sockaddr_in*)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1) return throw_errno(env, EINVAL, "udp-batch: bad IPv4 address");
    wildcard = s4->sin_addr.s_addr == htonl(INADDR_ANY);
    sslen = sizeof *s4;
  }
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "udp-batch: socket");
  int one = 1, zero = 0;
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? &one : &zero, sizeof one);
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "udp-batch: SO_REUSEPORT");
  }
  if (wildcard) {
    if (family == 6) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
      if (!v6only) setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    } else {
      setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    }
  }
  if (bind(fd, (struct sockaddr*)&ss, sslen) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "udp-batch: bind");
  }

  ub_t* u = calloc(1, sizeof *u);
  if (u == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "udp-batch: open");
  }
  u->env = env;
  u->fd = fd;
  u->sock_family = ss.ss_family;
  u->pktinfo = wildcard;
  u->rx = rx, u->rxm = rxm, u->tx = tx, u->txm = txm, u->dest = dest;
  u->batch = batch, u->rxslot = rxslot, u->txslot = txslot;
  u->rmsg = calloc(batch, sizeof *u->rmsg);
  u->riov = calloc(batch, sizeof *u->riov);
  u->raddr = calloc(batch, sizeof *u->raddr);
  u->rctl = calloc(batch, CTL);
  u->smsg = calloc(batch, sizeof *u->smsg);
  u->siov = calloc(batch, sizeof *u->siov);
  u->saddr = calloc(batch, sizeof *u->saddr);
  u->sctl = calloc(batch, CTL);
  if (!u->rmsg || !u->riov || !u->raddr || !u->rctl || !u->smsg || !u->siov || !u->saddr || !u->sctl) {
    close(fd);
    release(u);
    return throw_errno(env, ENOMEM, "udp-batch: open");
  }
  for (uint32_t i = 0; i < batch; i++) {
    u->riov[i].iov_base = rx + (size_t)i * rxslot;
    u->riov[i].iov_len = rxslot;
    struct msghdr* h = &u->rmsg[i].msg_hdr;
    h->msg_name = &u->raddr[i];
    h->msg_iov = &u->riov[i];
    h->msg_iovlen = 1;
    h->msg_control = u->rctl + (size_t)i * CTL;
  }
  for (int i = 0; i < 5; i++) napi_create_reference(env, argv[5 + i], 1, &u->keep[i]);
  napi_create_reference(env, argv[13], 1, &u->cb);
  napi_value name;
  napi_create_string_utf8(env, "horizond:udp-batch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &u->actx);

  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, &u->poll, fd) != 0) {
    close(fd);
    release(u);
    return throw_errno(env, EBADF, "udp-batch: uv_poll_init");
  }
  u->poll.data = u;

  napi_value ext;
  CHECK(napi_create_external(env, u, finalize, NULL, &ext));
  return ext;
}

// start(h): begins reading.
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ub_t* u = get_handle(env, argv[0]);
  if (u == NULL) return NULL;
  if (!u->closed) watch(u, u->qhead ? UV_READABLE | UV_WRITABLE : UV_READABLE);
  return NULL;
}

// local(h) -> [port, recvBuffer, sendBuffer]
static napi_value js_local(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ub_t* u = get_handle(env, argv[0]);
  if (u == NULL) return NULL;
  if (u->closed) return throw_errno(env, EBADF, "udp-batch: closed");
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(u->fd, (struct sockaddr*)&ss, &len);
  int port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6*)&ss)->sin6_port : ((struct sockaddr_in*)&ss)->sin_port);
  int rcv = 0, snd = 0;
  socklen_t il = sizeof rcv;
  getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &rcv, &il);
  il = sizeof snd;
  getsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &snd, &il);
  CHECK(napi_create_array_with_length(env, 3, &out));
  napi_create_int32(env, port, &v);
  napi_set_element(env, out, 0, v);
  napi_create_int32(env, rcv, &v);
  napi_set_element(env, out, 1, v);
  napi_create_int32(env, snd, &v);
  napi_set_element(env, out, 2, v);
  return out;
}

// bufferSize(h, kind ('recv' = 0, 'send' = 1), bytes) -> what the kernel reports afterwards.
static napi_value js_buffer_size(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ub_t* u = get_handle(env, argv[0]);
  if (u == NULL) return NULL;
  if (u->closed) return throw_errno(env, EBADF, "udp-batch: closed");
  int32_t kind, bytes;
  CHECK(napi_get_value_int32(env, argv[1], &kind));
  CHECK(napi_get_value_int32(env, argv[2], &bytes));
  int opt = kind == 0 ? SO_RCVBUF : SO_SNDBUF;
  if (bytes > 0 && setsockopt(u->fd, SOL_SOCKET, opt, &bytes, sizeof bytes) < 0) return throw_errno(env, errno, "udp-batch: setsockopt");
  int got = 0;
  socklen_t il = sizeof got;
  getsockopt(u->fd, SOL_SOCKET, opt, &got, &il);
  CHECK(napi_create_int32(env, got, &out));
  return out;
}

// flush(h, n): sends send slots 0..n-1 (one sendmmsg; what the kernel cannot take now is
// queued). Returns how many went to the kernel now.
static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ub_t* u = get_handle(env, argv[0]);
  if (u == NULL) return NULL;
  uint32_t n;
  CHECK(napi_get_value_uint32(env, argv[1], &n));
  if (u->closed || n == 0) {
    CHECK(napi_create_uint32(env, 0, &out));
    return out;
  }
  if (n > u->batch) n = u->batch;
  uint32_t m = 0;  // messages built (a reply to an unsendable peer is skipped)
  for (uint32_t j = 0; j < n; j++) {
    uint32_t len, slot;
    memcpy(&len, u->txm + (size_t)j * TXMETA, 4);
    memcpy(&slot, u->txm + (size_t)j * TXMETA + 4, 4);
    if (len > u->txslot || slot >= u->batch) {
      u->stats[S_SEND_ERRORS]++;
      continue;
    }
    const uint8_t* meta = u->rxm + (size_t)slot * META;
    struct msghdr* h = &u->smsg[m].msg_hdr;
    socklen_t tolen = meta_to_peer(u, meta, &u->saddr[m]);
    if (tolen == 0) {
      u->stats[S_SEND_ERRORS]++;
      continue;
    }
    u->siov[m].iov_base = u->tx + (size_t)j * u->txslot;
    u->siov[m].iov_len = len;
    h->msg_name = &u->saddr[m];
    h->msg_namelen = tolen;
    h->msg_iov = &u->siov[m];
    h->msg_iovlen = 1;
    char* ctl = u->sctl + (size_t)m * CTL;
    size_t cl = local_to_ctl(u, meta[11], ctl);
    h->msg_control = cl ? ctl : NULL;
    h->msg_controllen = cl;
    h->msg_flags = 0;
    m++;
  }
  uint32_t sent = 0, done = 0;
  // Keep the queue in order: once something waits there, new replies wait behind it.
  while (done < m && u->qhead == NULL) {
    int k = sendmmsg(u->fd, u->smsg + done, m - done, MSG_DONTWAIT);
    if (k < 0) {
      if (transient(errno)) break;
      u->stats[S_SEND_ERRORS]++;  // this message is refused (no route...): skip it
      done++;
      continue;
    }
    done += (uint32_t)k;
    sent += (uint32_t)k;
  }
  for (; done < m; done++) enqueue(u, &u->smsg[done].msg_hdr);
  u->stats[S_SENT] += sent;
  CHECK(napi_create_uint32(env, sent, &out));
  return out;
}

// send(h, buffer, length): one datagram to the peer in the `dest` record. Returns 1 when the
// kernel took it, 0 when it was queued, -1 when it was dropped (queue full, or unsendable).
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ub_t* u = get_handle(env, argv[0]);
  if (u == NULL) return NULL;
  uint8_t* data;
  size_t blen;
  uint32_t len;
  if (!get_buffer(env, argv[1], &data, &blen)) {
    napi_throw_type_error(env, NULL, "udp-batch: buffer expected");
    return NULL;
  }
  CHECK(napi_get_value_uint32(env, argv[2], &len));
  int32_t result = -1;
  if (!u->closed && len <= blen) {
    struct sockaddr_storage to;
    socklen_t tolen = meta_to_peer(u, u->dest, &to);
    char ctl[CTL];
    size_t cl = local_to_ctl(u, u->dest[11], ctl);
    struct iovec iov = {data, len};
    struct msghdr h = {&to, tolen, &iov, 1, cl ? ctl : NULL, cl, 0};
    if (tolen == 0) {
      u->stats[S_SEND_ERRORS]++;
    } else if (u->qhead != NULL) {
      result = enqueue(u, &h) ? 0 : -1;
    } else if (sendmsg(u->fd, &h, MSG_DONTWAIT) >= 0) {
      u->stats[S_SENT]++;
      result = 1;
    } else if (transient(errno)) {
      result = enqueue(u, &h) ? 0 : -1;
    } else {
      u->stats[S_SEND_ERRORS]++;
    }
  }
  CHECK(napi_create_int32(env, result, &out));
  return out;
}

// stats(h) -> [received, truncated, batches, sent, queued, queueDropped, sendErrors, recvErrors, queueLength]
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ub_t* u = get_handle(env, argv[0]);
  if (u == NULL) return NULL;
  CHECK(napi_create_array_with_length(env, S_COUNT + 1, &out));
  for (int i = 0; i < S_COUNT; i++) {
    napi_create_double(env, u->stats[i], &v);
    napi_set_element(env, out, i, v);
  }
  double ql = 0;
  for (qitem* q = u->qhead; q; q = q->next) ql++;
  napi_create_double(env, ql, &v);
  napi_set_element(env, out, S_COUNT, v);
  return out;
}

// close(h): stops reading, drops what is queued, closes the socket (on the next loop turn).
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ub_t* u = get_handle(env, argv[0]);
  if (u == NULL) return NULL;
  begin_close(u);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"local", NULL, js_local, NULL, NULL, NULL, napi_default, NULL},
      {"bufferSize", NULL, js_buffer_size, NULL, NULL, NULL, napi_default, NULL},
      {"flush", NULL, js_flush, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value meta, txmeta;
  napi_create_uint32(env, META, &meta);
  napi_create_uint32(env, TXMETA, &txmeta);
  napi_set_named_property(env, exports, "META", meta);
  napi_set_named_property(env, exports, "TX_META", txmeta);
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
