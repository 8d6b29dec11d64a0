// SPDX-License-Identifier: GPL-2.0
/*
 * tsniff's process attribution in the kernel (docs/PROCESS.md). CO-RE: built by scripts/build-bpf.mjs with
 * clang -target bpf against a vmlinux.h dumped from this kernel's BTF at build time (never committed).
 *
 * - cgroup sock_create, connect4/6, sendmsg4/6, recvmsg4/6, post_bind4/6 (attached to the cgroup v2 root):
 *   socket cookie -> the process using it (pid, tid, uid, comm, cgroup id), in `socks`. post_bind and sendmsg
 *   also announce the socket's local end (a server's port, an unconnected UDP socket's; sendmsg once per
 *   socket, port and thread, not per datagram).
 * - cgroup_skb egress: the first packet of a known socket announces its whole tuple (the only point where a
 *   connected UDP socket's source port is known together with its owner); each socket once (`announced`).
 * - tp_btf sock:inet_sock_set_state: a TCP connect (SYN_SENT) and listen (LISTEN), in the caller's context.
 * - tp_btf sched:sched_process_exec/fork/exit: so user space re-reads exe/args after an exec and follows forks.
 * Everything goes to user space through one ring buffer; maps are small LRU maps (RLIMIT_MEMLOCK is small).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10

enum ev_type { EV_FLOW = 1, EV_LOCAL = 2, EV_EXEC = 3, EV_FORK = 4, EV_EXIT = 5 };

struct owner {
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 netns; /* the socket's network namespace (its inode number, as /proc/PID/ns/net shows it) */
	__u64 cgroup;
	char comm[16];
	__u32 local; /* the local port last announced for this socket by this thread (sendmsg: once, not per datagram) */
	__u32 pad;
};

/* 88 bytes, read by src/proc/ebpf-engine.ts */
struct event {
	__u32 type;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u64 cgroup;
	char comm[16];
	__u8 family;
	__u8 proto;
	__u16 lport; /* host order */
	__u16 rport; /* host order */
	__u16 pad;
	__u8 laddr[16];
	__u8 raddr[16];
	__u32 ppid; /* EV_FORK: the parent */
	__u32 netns; /* EV_FLOW, EV_LOCAL: the socket's network namespace inode */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct owner);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} announced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* the calling task's network namespace: where a socket it creates lives */
static __always_inline __u32 current_netns(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(t, nsproxy, net_ns, ns.inum);
}

static __always_inline void fill_owner(struct owner *o)
{
	__u64 pt = bpf_get_current_pid_tgid();
	o->pid = pt >> 32;
	o->tid = (__u32)pt;
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->netns = current_netns();
	o->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/*
 * Wakeups: a socket's event wakes user space at once (it reads the process's exe and arguments while the
 * process lives); exec, fork and exit events (a busy machine makes thousands a second) wait in the ring
 * buffer for the next read (user space reads it every 250 ms, and before looking up a flow it does not know),
 * unless the ring is a quarter full.
 */
#define WAKE_BYTES (256 << 10)
static __always_inline void submit(struct event *e, int now)
{
	bpf_ringbuf_submit(e, now || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > WAKE_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline struct event *new_event(__u32 type, const struct owner *o)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->pid = o->pid;
	e->tid = o->tid;
	e->uid = o->uid;
	e->cgroup = o->cgroup;
	e->netns = o->netns;
	__builtin_memcpy(e->comm, o->comm, 16);
	return e;
}

/* the socket's own end (and the peer's when connected) from a struct bpf_sock */
static __always_inline void sock_ends(struct event *e, struct bpf_sock *sk)
{
	e->family = sk->family;
	e->proto = sk->protocol;
	e->lport = sk->src_port;
	e->rport = bpf_ntohs(sk->dst_port);
	if (sk->family == AF_INET) {
		__builtin_memcpy(e->laddr, &sk->src_ip4, 4);
		__builtin_memcpy(e->raddr, &sk->dst_ip4, 4);
	} else {
		__u32 a[4], b[4];
		a[0] = sk->src_ip6[0]; a[1] = sk->src_ip6[1]; a[2] = sk->src_ip6[2]; a[3] = sk->src_ip6[3];
		b[0] = sk->dst_ip6[0]; b[1] = sk->dst_ip6[1]; b[2] = sk->dst_ip6[2]; b[3] = sk->dst_ip6[3];
		__builtin_memcpy(e->laddr, a, 16);
		__builtin_memcpy(e->raddr, b, 16);
	}
}

/*
 * The socket's user is the calling process. Its namespace is the one it was created in (sock_create runs in
 * the creator's context): a socket handed to a process in another namespace keeps it. `port` (sendmsg: the
 * socket's local port, 0 for none): returns 1 when that port is to be announced, that is when this thread
 * has not announced it for this socket yet (a UDP socket sending a thousand datagrams makes one event).
 */
static __always_inline int remember(__u64 cookie, struct owner *o, __u32 port)
{
	fill_owner(o);
	o->local = 0;
	o->pad = 0;
	struct owner *old = bpf_map_lookup_elem(&socks, &cookie);
	if (old) {
		if (old->netns)
			o->netns = old->netns;
		if (old->pid == o->pid && old->tid == o->tid)
			o->local = old->local;
	}
	int fresh = port && o->local != port;
	if (fresh)
		o->local = port;
	bpf_map_update_elem(&socks, &cookie, o, BPF_ANY);
	return fresh;
}

SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *sk)
{
	struct owner o;
	__u64 cookie = bpf_get_socket_cookie(sk);
	/* a new socket (cookies are never reused): whatever the map held under it is stale */
	bpf_map_delete_elem(&socks, &cookie);
	remember(cookie, &o, 0);
	return 1;
}

/* the socket's local end, once it has a port (unconnected UDP, a bound server) */
static __always_inline void announce_local(struct bpf_sock *sk, const struct owner *o)
{
	if (!sk || sk->src_port == 0)
		return;
	struct event *e = new_event(EV_LOCAL, o);
	if (!e)
		return;
	sock_ends(e, sk);
	submit(e, 1);
}

static __always_inline int sockaddr_hook(struct bpf_sock_addr *ctx, int announce)
{
	struct owner o;
	struct bpf_sock *sk = announce ? ctx->sk : 0;
	if (remember(bpf_get_socket_cookie(ctx), &o, sk ? sk->src_port : 0))
		announce_local(sk, &o);
	return 1;
}

SEC("cgroup/connect4") int connect4(struct bpf_sock_addr *ctx) { return sockaddr_hook(ctx, 0); }
SEC("cgroup/connect6") int connect6(struct bpf_sock_addr *ctx) { return sockaddr_hook(ctx, 0); }
SEC("cgroup/sendmsg4") int sendmsg4(struct bpf_sock_addr *ctx) { return sockaddr_hook(ctx, 1); }
SEC("cgroup/sendmsg6") int sendmsg6(struct bpf_sock_addr *ctx) { return sockaddr_hook(ctx, 1); }
SEC("cgroup/recvmsg4") int recvmsg4(struct bpf_sock_addr *ctx) { return sockaddr_hook(ctx, 0) ; }
SEC("cgroup/recvmsg6") int recvmsg6(struct bpf_sock_addr *ctx) { return sockaddr_hook(ctx, 0); }

/* post_bind's context allows only its own family's source address and the port: no sock_ends() */
static __always_inline int post_bind(struct bpf_sock *sk, int v6)
{
	struct owner o;
	remember(bpf_get_socket_cookie(sk), &o, 0);
	if (sk->src_port == 0)
		return 1;
	struct event *e = new_event(EV_LOCAL, &o);
	if (!e)
		return 1;
	e->family = v6 ? AF_INET6 : AF_INET;
	e->proto = sk->protocol;
	e->lport = sk->src_port;
	if (v6) {
		__u32 a[4];
		a[0] = sk->src_ip6[0]; a[1] = sk->src_ip6[1]; a[2] = sk->src_ip6[2]; a[3] = sk->src_ip6[3];
		__builtin_memcpy(e->laddr, a, 16);
	} else {
		__u32 a = sk->src_ip4;
		__builtin_memcpy(e->laddr, &a, 4);
	}
	submit(e, 1);
	return 1;
}

SEC("cgroup/post_bind4") int post_bind4(struct bpf_sock *sk) { return post_bind(sk, 0); }
SEC("cgroup/post_bind6") int post_bind6(struct bpf_sock *sk) { return post_bind(sk, 1); }

SEC("cgroup_skb/egress")
int egress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	__u64 cookie = bpf_get_socket_cookie(skb);
	if (bpf_map_lookup_elem(&announced, &cookie))
		return 1;
	struct owner *o = bpf_map_lookup_elem(&socks, &cookie);
	if (!o)
		return 1;
	__u8 one = 1;
	bpf_map_update_elem(&announced, &cookie, &one, BPF_ANY);
	struct event *e = new_event(EV_FLOW, o);
	if (!e)
		return 1;
	sock_ends(e, sk);
	if (e->rport == 0)
		e->type = EV_LOCAL;
	submit(e, 1);
	return 1;
}

/* BTF tracepoints (tp_btf): typed arguments, and no tracefs needed (ip netns exec mounts a /sys without it) */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP || (newstate != 2 /* SYN_SENT */ && newstate != 10 /* LISTEN */))
		return 0;
	struct owner o;
	fill_owner(&o);
	o.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	struct event *e = new_event(newstate == 2 ? EV_FLOW : EV_LOCAL, &o);
	if (!e)
		return 0;
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->family = fam;
	e->proto = IPPROTO_TCP;
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (fam == AF_INET) {
		BPF_CORE_READ_INTO(&e->laddr[0], sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr[0], sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO(&e->laddr[0], sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr[0], sk, __sk_common.skc_v6_daddr);
	}
	submit(e, 1);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct owner o;
	fill_owner(&o);
	struct event *e = new_event(EV_EXEC, &o);
	if (e)
		submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	/* a new thread is no new process */
	if (BPF_CORE_READ(child, tgid) != BPF_CORE_READ(child, pid))
		return 0;
	struct owner o;
	fill_owner(&o);
	o.pid = BPF_CORE_READ(child, tgid);
	o.tid = o.pid;
	struct event *e = new_event(EV_FORK, &o);
	if (!e)
		return 0;
	e->ppid = BPF_CORE_READ(parent, tgid);
	submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u64 pt = bpf_get_current_pid_tgid();
	if ((__u32)pt != (pt >> 32))
		return 0; /* a thread, not the process */
	struct owner o;
	fill_owner(&o);
	struct event *e = new_event(EV_EXIT, &o);
	if (e)
		submit(e, 0);
	return 0;
}
