// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables batch builder, checked by parsing the batch back with
 * libnftnl: both queue paths (native expression and xtables compat), the
 * table families, and the element encodings.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "fuzz_corpus.h"

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "config.h"
#include "ruleset.h"

static struct rs_service svc[2];
static struct rs_nat nat[2];

static struct ruleset make_rs(bool native)
{
	struct ruleset rs = {
		.table = "lbtest", .mark_mask = 0x00ff0000, .queue = 3,
		.queues = 2, .native_queue = native, .svc = svc, .nsvc = 2,
		.nat = nat, .nnat = 2,
	};

	memset(svc, 0, sizeof(svc));
	memset(nat, 0, sizeof(nat));
	svc[0].protocol = IPPROTO_TCP;
	svc[0].port = 80;
	addr_parse("10.0.1.100", &svc[0].vip);
	svc[1].protocol = IPPROTO_UDP;
	svc[1].port = 53;
	addr_parse("2001:db8::1", &svc[1].vip);
	nat[0].mark = 0x00010000;
	nat[0].port = 8080;
	addr_parse("10.0.2.11", &nat[0].addr);
	nat[1].mark = 0x00020000;
	nat[1].port = 53;
	addr_parse("2001:db8::11", &nat[1].addr);
	return rs;
}

static int msg_type(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type & 0xff;
}

static int msg_family(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	return g->nfgen_family;
}

struct rule_facts {
	int family;
	char chain[32];
	int queue_expr, target_expr, nat_expr, lookup_expr, ct_expr;
	int notrack_expr;
	int nexpr, skip;
	char first[16];			/* the first expression after the
					   family match (nfproto) */
	uint32_t first_key;		/* its meta or ct key */
	int verdict;			/* of an immediate, else -1 */
	char set[32];			/* of the last lookup */
	uint16_t qnum, qtotal, qflags;
	char target[32];
	uint32_t target_rev;
	struct xt_NFQ_info_v3 nfq;
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct rule_facts *f = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	uint32_t len;

	/* meta nfproto ipvN (a load and its compare) opens the rules of the
	 * inet table that hold one family's: not the rule's own first */
	if (f->nexpr++ == 0 && !strcmp(name, "meta") &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY) == NFT_META_NFPROTO)
		f->skip = 2;
	if (f->skip && f->skip--)
		return 0;
	if (!f->first[0]) {
		snprintf(f->first, sizeof(f->first), "%s", name);
		if (!strcmp(name, "meta"))
			f->first_key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
		else if (!strcmp(name, "ct"))
			f->first_key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
	}
	if (!strcmp(name, "queue")) {
		f->queue_expr++;
		f->qnum = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM);
		f->qtotal = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL);
		f->qflags = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS);
	} else if (!strcmp(name, "target")) {
		const void *info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);

		f->target_expr++;
		snprintf(f->target, sizeof(f->target), "%s",
			 nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME));
		f->target_rev = nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV);
		cr_assert_geq(len, sizeof(f->nfq));
		memcpy(&f->nfq, info, sizeof(f->nfq));
	} else if (!strcmp(name, "nat")) {
		f->nat_expr++;
	} else if (!strcmp(name, "lookup")) {
		f->lookup_expr++;
		snprintf(f->set, sizeof(f->set), "%s",
			 nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
	} else if (!strcmp(name, "ct")) {
		f->ct_expr++;
	} else if (!strcmp(name, "notrack")) {
		f->notrack_expr++;
	} else if (!strcmp(name, "immediate") &&
		   nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT) {
		f->verdict = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
	}
	return 0;
}

static void rule_parse(const struct nlmsghdr *nlh, struct rule_facts *f)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	memset(f, 0, sizeof(*f));
	f->verdict = -1;
	cr_assert_eq(nftnl_rule_nlmsg_parse(nlh, r), 0);
	cr_expect_str_eq(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), "lbtest");
	f->family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	snprintf(f->chain, sizeof(f->chain), "%s",
		 nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	nftnl_expr_foreach(r, expr_cb, f);
	nftnl_rule_free(r);
}

/* The NEWRULE message of @b after @nlh (NULL: the first one), parsed
 * into @f; NULL after the last. */
static const struct nlmsghdr *next_rule(const struct nft_batch *b,
					const struct nlmsghdr *nlh,
					struct rule_facts *f)
{
	for (nlh = nlh ? nft_batch_following(b, nlh) : nft_batch_first(b); nlh;
	     nlh = nft_batch_following(b, nlh)) {
		if (msg_type(nlh) == NFT_MSG_NEWRULE) {
			rule_parse(nlh, f);
			return nlh;
		}
	}
	return NULL;
}

/* Count the messages of @type in @family (-1: any family). */
static int count(const struct nft_batch *b, int type, int family)
{
	const struct nlmsghdr *nlh;
	int n = 0;

	for (nlh = nft_batch_first(b); nlh; nlh = nft_batch_following(b, nlh))
		if (msg_type(nlh) == type &&
		    (family < 0 || msg_family(nlh) == family))
			n++;
	return n;
}

static void queue_rules(const struct nft_batch *b, struct rule_facts *out,
			int *n)
{
	const struct nlmsghdr *nlh;
	struct rule_facts f;

	*n = 0;
	for (nlh = NULL; (nlh = next_rule(b, nlh, &f)); ) {
		/* the rules that queue (not the kernel-scheduling vmap, nor
		 * the accept of all but new connections) */
		if (!strcmp(f.chain, "queue_new") &&
		    (f.queue_expr || f.target_expr))
			out[(*n)++] = f;
	}
}

Test(ruleset, compat_queue_lives_in_ip_and_ip6_tables)
{
	struct ruleset rs = make_rs(false);
	struct rule_facts q[12];
	struct nft_batch b;
	int n, i;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build(&b, &rs), 0);
	queue_rules(&b, q, &n);
	/* fwmark, vip . proto . port, vip . proto, one-packet: per family */
	cr_assert_eq(n, 8);
	for (i = 0; i < n; i++)
		cr_expect_eq(q[i].family, i < 4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	for (i = 0; i < n; i++) {
		cr_expect_eq(q[i].queue_expr, 0, "no native queue expression");
		cr_expect_eq(q[i].target_expr, 1);
		cr_expect_str_eq(q[i].target, "NFQUEUE");
		cr_expect_eq(q[i].target_rev, 3);
		cr_expect_eq(q[i].nfq.queuenum, 3);
		cr_expect_eq(q[i].nfq.queues_total, 2);
		cr_expect_eq(q[i].nfq.flags, NFQ_FLAG_BYPASS);
		cr_expect_eq(q[i].lookup_expr, 1);
	}
	/* the stale tables of all three families are replaced atomically */
	cr_expect_eq(count(&b, NFT_MSG_DELTABLE, NFPROTO_INET), 1);
	cr_expect_eq(count(&b, NFT_MSG_DELTABLE, NFPROTO_IPV4), 1);
	cr_expect_eq(count(&b, NFT_MSG_DELTABLE, NFPROTO_IPV6), 1);
	cr_expect_eq(count(&b, NFT_MSG_NEWTABLE, NFPROTO_IPV4), 2);
	cr_expect_eq(count(&b, NFT_MSG_NEWTABLE, NFPROTO_IPV6), 2);
	nft_batch_free(&b);
}

Test(ruleset, native_queue_lives_in_the_inet_table)
{
	struct ruleset rs = make_rs(true);
	struct rule_facts q[12];
	struct nft_batch b;
	int n, i;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build(&b, &rs), 0);
	queue_rules(&b, q, &n);
	cr_assert_eq(n, 8);
	for (i = 0; i < n; i++) {
		cr_expect_eq(q[i].family, NFPROTO_INET);
		cr_expect_eq(q[i].target_expr, 0, "no compat target");
		cr_expect_eq(q[i].queue_expr, 1);
		cr_expect_eq(q[i].qnum, 3);
		cr_expect_eq(q[i].qtotal, 2);
		cr_expect_eq(q[i].qflags, NFT_QUEUE_FLAG_BYPASS);
	}
	/* ip/ip6 tables are only cleared (a compat run may have left them) */
	cr_expect_eq(count(&b, NFT_MSG_NEWTABLE, NFPROTO_IPV4), 1);
	cr_expect_eq(count(&b, NFT_MSG_DELTABLE, NFPROTO_IPV4), 1);
	cr_expect_eq(count(&b, NFT_MSG_NEWCHAIN, NFPROTO_IPV4), 0);
	/* queue_new, vip_input, mark_new, conn_new, nat_pre, stats; no
	 * one-packet or DR service: no onepacket(_out), raw_lvs, lvs */
	cr_expect_eq(count(&b, NFT_MSG_NEWCHAIN, NFPROTO_INET), 6);
	nft_batch_free(&b);
	/* a one-packet service of either family: those four, once */
	svc[1].one_packet = true;
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build(&b, &rs), 0);
	cr_expect_eq(count(&b, NFT_MSG_NEWCHAIN, NFPROTO_INET), 10);
	nft_batch_free(&b);
}

/*
 * vip_input, on the input hook: a NAT connection the director scheduled
 * (ct mark) goes on; then TCP for any virtual service is dropped, one rule
 * per service set, so that the host's own stack never answers it.
 */
static void check_vip_input(bool native)
{
	static const char *const sets[] = { "fwmarks", "services", "anyport",
					    "dr", "tun" };
	struct ruleset rs = make_rs(native);
	const struct nlmsghdr *nlh;
	struct rule_facts f;
	struct nft_batch b;
	int n = 0, fam, k;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build(&b, &rs), 0);
	for (nlh = NULL; (nlh = next_rule(&b, nlh, &f)); ) {
		char want[32];

		if (strcmp(f.chain, "vip_input"))
			continue;
		/* compat: ip then ip6, each from its accept; native: one */
		k = native ? (n == 0 ? -1 : (n - 1) % 5) : n % 6 - 1;
		fam = native ? (n <= 5 ? 4 : 6) : (n < 6 ? 4 : 6);
		n++;
		cr_expect_eq(f.family, native ? NFPROTO_INET :
			     fam == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
		if (k < 0) {
			cr_expect_eq(f.ct_expr, 1, "rule %d: ct mark", n);
			cr_expect_eq(f.lookup_expr, 0);
			cr_expect_eq(f.verdict, NF_ACCEPT);
			continue;
		}
		snprintf(want, sizeof(want), "%s%d", sets[k], fam);
		cr_expect_str_eq(f.set, want, "rule %d", n);
		cr_expect_eq(f.ct_expr, 0);
		cr_expect_eq(f.verdict, NF_DROP, "rule %d", n);
	}
	cr_expect_eq(n, native ? 11 : 12);
	nft_batch_free(&b);
}

/*
 * What a DR packet (untracked, TCP) passes should turn it away at once:
 * the one raw chain accepts at the notrack that matched (DR first), and
 * the one-packet rules of the mangle and postrouting chains, UDP only,
 * open with the protocol's compare, before any state or set lookup.
 */
static void check_untracked_paths(bool native)
{
	struct ruleset rs = make_rs(native);
	const struct nlmsghdr *nlh;
	struct rule_facts f;
	struct nft_batch b;
	int raw = 0, op = 0, q = 0, learn = 0;

	svc[0].fwd = FWD_DR;		/* TCP, IPv4 */
	svc[1].one_packet = true;	/* UDP, IPv6 */
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build(&b, &rs), 0);
	for (nlh = NULL; (nlh = next_rule(&b, nlh, &f)); ) {
		cr_expect_str_neq(f.chain, "raw_onepacket");
		if (!strcmp(f.chain, "queue_new")) {
			/* per family: the one-packet rule, then "ct state & new
			 * == 0 accept" before any rule for new connections
			 * (fwmark, kernel scheduling, service, any port) */
			if (q % 6 == 1) {
				cr_expect_eq(f.verdict, NF_ACCEPT, "queue_new rule %d", q);
				cr_expect_str_eq(f.first, "ct");
				cr_expect_eq(f.first_key, NFT_CT_STATE);
				cr_expect_eq(f.lookup_expr, 0);
			} else {
				cr_expect_neq(f.verdict, NF_ACCEPT, "queue_new rule %d", q);
			}
			q++;
		}
		cr_expect_str_neq(f.chain, "lvs_learn", "learnt in lvs, on NF_REPEAT");
		if (!strcmp(f.chain, "lvs")) {
			/* per family: a tracked packet (NAT's) leaves, FIN
			 * log, FIN move, three flows, four ICMP errors, the
			 * kernel-scheduled services' vmap, four learning rules
			 * (accept), and last the two that queue what the
			 * director has not seen */
			int i = learn++ % 17 - 1;

			if (i == -1) {
				cr_expect_eq(f.verdict, NF_ACCEPT, "lvs rule %d", i);
				cr_expect_str_eq(f.first, "ct");
				cr_expect_eq(f.first_key, NFT_CT_STATE);
				cr_expect_eq(f.lookup_expr, 0);
			} else if (i == 9) {
				cr_expect_str_eq(f.set, learn <= 17 ? "ksched4" : "ksched6");
			} else if (i >= 10 && i < 14) {
				cr_expect_eq(f.verdict, NF_ACCEPT, "lvs rule %d", i);
				cr_expect_eq(f.target_expr + f.queue_expr, 0);
			} else if (i >= 14) {
				cr_expect_eq(f.target_expr + f.queue_expr, 1, "lvs rule %d", i);
				cr_expect_str_eq(f.set, i == 14 ? (learn <= 17 ? "dr4" : "dr6")
							 : (learn <= 17 ? "tun4" : "tun6"));
			}
		}
		if (!strcmp(f.chain, "raw_lvs")) {
			/* dr, tun, onepacket, op_rs: per family */
			if (raw % 4 == 0)
				cr_expect_eq(strncmp(f.set, "dr", 2), 0,
					     "rule %d: DR first, not %s", raw, f.set);
			raw++;
			cr_expect_eq(f.notrack_expr, 1);
			cr_expect_eq(f.verdict, NF_ACCEPT, "%s", f.set);
		}
		if (!strcmp(f.chain, "onepacket") ||
		    !strcmp(f.chain, "onepacket_out") ||
		    (!strcmp(f.chain, "queue_new") &&
		     !strncmp(f.set, "onepacket", 9))) {
			op++;
			cr_expect_str_eq(f.first, "meta", "%s", f.chain);
			cr_expect_eq(f.first_key, NFT_META_L4PROTO, "%s", f.chain);
		}
	}
	cr_expect_eq(raw, 8);
	cr_expect_eq(q, 12);
	cr_expect_eq(learn, 34);
	/* queue_new's two; the IPv6 rewrites, with the native queue in the
	 * inet table's chains, where the IPv4 ones are too */
	cr_expect_eq(op, native ? 6 : 4);
	nft_batch_free(&b);
}

Test(ruleset, untracked_packets_leave_early)
{
	check_untracked_paths(false);
	check_untracked_paths(true);
}

/* The chains of @family named onepacket*: +1 each made, -1 each deleted. */
/* Chains named @prefix* made (+1) and deleted (-1) in @b for @family. */
static int chains_made(const struct nft_batch *b, int family, const char *prefix)
{
	const struct nlmsghdr *nlh;
	int n = 0;

	for (nlh = nft_batch_first(b); nlh; nlh = nft_batch_following(b, nlh)) {
		struct nftnl_chain *c;
		int t = msg_type(nlh);

		if ((t != NFT_MSG_NEWCHAIN && t != NFT_MSG_DELCHAIN) ||
		    msg_family(nlh) != family)
			continue;
		c = nftnl_chain_alloc();
		cr_assert_eq(nftnl_chain_nlmsg_parse(nlh, c), 0);
		if (!strncmp(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), prefix,
			     strlen(prefix)))
			n += t == NFT_MSG_NEWCHAIN ? 1 : -1;
		nftnl_chain_free(c);
	}
	return n;
}

#define OP RS_CHAINS_ONEPACKET
#define LVS RS_CHAINS_LVS

/* @v4/@v6 -> @w4/@w6 (RS_CHAINS_*): the onepacket* and the raw_lvs/lvs
 * chains each table gains (+) or loses (-). */
static void check_chains_change(bool native, unsigned int v4, unsigned int v6,
				unsigned int w4, unsigned int w6, int op4,
				int op6, int lvs4, int lvs6)
{
	struct ruleset rs = make_rs(native);
	const unsigned int had[2] = { v4, v6 }, has[2] = { w4, w6 };
	int fam4 = native ? NFPROTO_INET : NFPROTO_IPV4;
	struct nft_batch b;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_chains(&b, &rs, had, has), 0);
	cr_expect_eq(chains_made(&b, fam4, "onepacket"), op4,
		     "%x%x -> %x%x", v4, v6, w4, w6);
	cr_expect_eq(chains_made(&b, fam4, "raw_lvs") + chains_made(&b, fam4, "lvs"),
		     lvs4, "%x%x -> %x%x", v4, v6, w4, w6);
	if (!native) {
		cr_expect_eq(chains_made(&b, NFPROTO_IPV6, "onepacket"), op6,
			     "%x%x -> %x%x", v4, v6, w4, w6);
		cr_expect_eq(chains_made(&b, NFPROTO_IPV6, "raw_lvs") +
			     chains_made(&b, NFPROTO_IPV6, "lvs"), lvs6,
			     "%x%x -> %x%x", v4, v6, w4, w6);
	}
	nft_batch_free(&b);
}

Test(ruleset, per_packet_chains_come_and_go_with_their_services)
{
	cr_expect_eq(ruleset_service_chains(&(struct rs_service){
		.one_packet = true, .fwd = FWD_NAT }), OP | LVS);
	cr_expect_eq(ruleset_service_chains(&(struct rs_service){
		.one_packet = true, .fwd = FWD_DR }), LVS,
		"DR: every datagram to the director");
	cr_expect_eq(ruleset_service_chains(&(struct rs_service){ .fwd = FWD_DR }), LVS);
	cr_expect_eq(ruleset_service_chains(&(struct rs_service){ .fwd = FWD_TUN }), LVS);
	cr_expect_eq(ruleset_service_chains(&(struct rs_service){ .fwd = FWD_NAT }), 0,
		     "a NAT connection passes neither");
	/* compat: a table each family */
	check_chains_change(false, 0, 0, OP | LVS, 0, 2, 0, 2, 0);
	check_chains_change(false, OP | LVS, 0, 0, 0, -2, 0, -2, 0);
	check_chains_change(false, OP | LVS, 0, LVS, OP | LVS, -2, 2, 0, 2);
	check_chains_change(false, OP | LVS, LVS, OP | LVS, LVS, 0, 0, 0, 0);
	check_chains_change(false, 0, 0, 0, 0, 0, 0, 0, 0);
	check_chains_change(false, 0, LVS, LVS, 0, 0, 0, 2, -2);
	/* native: one inet table for both */
	check_chains_change(true, OP | LVS, 0, 0, OP | LVS, 0, 0, 0, 0);
	check_chains_change(true, 0, 0, 0, OP | LVS, 2, 0, 2, 0);
	check_chains_change(true, OP | LVS, LVS, 0, LVS, -2, 0, 0, 0);
	check_chains_change(true, LVS, LVS, 0, 0, 0, 0, -2, 0);
}

#undef OP
#undef LVS

Test(ruleset, vip_input_drops_what_nothing_scheduled)
{
	check_vip_input(false);
	check_vip_input(true);
}

Test(ruleset, nat_rules_dnat_by_conntrack_mark)
{
	struct ruleset rs = make_rs(false);
	const struct nlmsghdr *nlh;
	struct rule_facts f;
	struct nft_batch b;
	int nat_rules = 0;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build(&b, &rs), 0);
	for (nlh = NULL; (nlh = next_rule(&b, nlh, &f)); ) {
		if (strcmp(f.chain, "nat_pre"))
			continue;
		nat_rules++;
		cr_expect_eq(f.family, NFPROTO_INET);
		cr_expect_eq(f.nat_expr, 1);
		cr_expect_eq(f.lookup_expr, 2, "l4proto set and nat map");
	}
	cr_expect_eq(nat_rules, 4, "address . port and address only, per family");
	nft_batch_free(&b);
}

struct elem_facts {
	uint8_t key[64], data[64];
	uint32_t klen, dlen;
	char set[32];
	int n;
};

static void first_elem(const struct nlmsghdr *nlh, struct elem_facts *f)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	const void *p;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
	snprintf(f->set, sizeof(f->set), "%s", nftnl_set_get_str(s, NFTNL_SET_NAME));
	it = nftnl_set_elems_iter_create(s);
	while ((e = nftnl_set_elems_iter_next(it))) {
		if (f->n++)
			continue;
		p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &f->klen);
		memcpy(f->key, p, f->klen);
		p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &f->dlen);
		if (p)
			memcpy(f->data, p, f->dlen);
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
}

/* The element message of set @name in the batch. */
static void find_elem(const struct nft_batch *b, const char *name,
		      struct elem_facts *f)
{
	const struct nlmsghdr *nlh;

	for (nlh = nft_batch_first(b); nlh; nlh = nft_batch_following(b, nlh)) {
		if (msg_type(nlh) != NFT_MSG_NEWSETELEM &&
		    msg_type(nlh) != NFT_MSG_DELSETELEM)
			continue;
		first_elem(nlh, f);
		if (!strcmp(f->set, name))
			return;
	}
	cr_assert_fail("no element for set %s", name);
}

Test(ruleset, element_encodings)
{
	struct ruleset rs = make_rs(false);
	struct elem_facts f;
	struct nft_batch b;
	static const uint8_t svc4[12] = { 10, 0, 1, 100, IPPROTO_TCP, 0, 0, 0, 0, 80, 0, 0 };
	static const uint8_t nat4[8] = { 10, 0, 2, 11, 0x1f, 0x90, 0, 0 };
	uint32_t mark;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_service(&b, &rs, &svc[0], false), 0);
	first_elem(nft_batch_first(&b), &f);
	cr_expect_str_eq(f.set, "services4");
	cr_expect_eq(msg_family(nft_batch_first(&b)), NFPROTO_IPV4);
	cr_assert_eq(f.klen, 12);
	cr_expect_arr_eq(f.key, svc4, 12);
	nft_batch_free(&b);

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_nat(&b, &rs, &nat[0], false), 0);
	find_elem(&b, "nat4", &f);
	cr_assert_eq(f.klen, 4);
	memcpy(&mark, f.key, 4);
	cr_expect_eq(mark, 0x00010000, "marks are host order");
	cr_assert_eq(f.dlen, 8);
	cr_expect_arr_eq(f.data, nat4, 8);
	nft_batch_free(&b);

	/* a firewall-mark service: the mark, host order, in fwmarks4 */
	svc[0].fwmark = 0x2a;
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_service(&b, &rs, &svc[0], false), 0);
	first_elem(nft_batch_first(&b), &f);
	cr_expect_str_eq(f.set, "fwmarks4");
	cr_assert_eq(f.klen, 4);
	memcpy(&mark, f.key, 4);
	cr_expect_eq(mark, 0x2a);
	nft_batch_free(&b);

	/* any port: vip . proto in anyport4; its real server keeps the port */
	svc[0].fwmark = 0;
	svc[0].port = 0;
	nat[0].port = 0;
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_service(&b, &rs, &svc[0], false), 0);
	first_elem(nft_batch_first(&b), &f);
	cr_expect_str_eq(f.set, "anyport4");
	cr_assert_eq(f.klen, 8);
	cr_expect_arr_eq(f.key, svc4, 8);
	nft_batch_free(&b);
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_nat(&b, &rs, &nat[0], false), 0);
	find_elem(&b, "nat4a", &f);
	cr_assert_eq(f.dlen, 4);
	cr_expect_arr_eq(f.data, nat4, 4);
	nft_batch_free(&b);

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_nat(&b, &rs, &nat[1], true), 0);
	cr_expect_eq(count(&b, NFT_MSG_NEWSETELEM, -1), 0, "a delete adds nothing");
	find_elem(&b, "nat6", &f);
	cr_expect_eq(f.dlen, 0, "a delete carries the key only");
	nft_batch_free(&b);
}

Test(ruleset, delete_only_touches_our_tables)
{
	const struct nlmsghdr *nlh;
	struct nft_batch b;
	int n = 0;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_delete(&b, "lbtest"), 0);
	for (nlh = nft_batch_first(&b); nlh; nlh = nft_batch_following(&b, nlh)) {
		struct nftnl_table *t = nftnl_table_alloc();

		cr_assert(msg_type(nlh) == NFT_MSG_NEWTABLE ||
			  msg_type(nlh) == NFT_MSG_DELTABLE);
		cr_assert_eq(nftnl_table_nlmsg_parse(nlh, t), 0);
		cr_expect_str_eq(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "lbtest");
		nftnl_table_free(t);
		n++;
	}
	cr_expect_eq(n, 6, "create+delete for inet, ip, ip6");
	nft_batch_free(&b);
}

Test(ruleset, probe_never_commits)
{
	const struct nlmsghdr *nlh, *last = NULL, *rule = NULL;
	struct nft_batch b;
	uint32_t qseq;
	int chains = 0;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_probe(&b, "lbtest", &qseq), 0);
	for (nlh = nft_batch_first(&b); nlh; nlh = nft_batch_following(&b, nlh)) {
		if (msg_type(nlh) == NFT_MSG_NEWCHAIN) {
			chains++;
			cr_expect(nlh->nlmsg_flags & NLM_F_EXCL);
		}
		if (msg_type(nlh) == NFT_MSG_NEWRULE)
			rule = nlh;
		last = nlh;
	}
	cr_assert_not_null(rule);
	cr_expect_eq(rule->nlmsg_seq, qseq);
	cr_expect_eq(chains, 2, "the second, identical chain fails with EEXIST");
	cr_expect_eq(msg_type(last), NFT_MSG_NEWCHAIN);
	nft_batch_free(&b);
}

Test(ruleset, every_message_asks_for_an_ack)
{
	struct ruleset rs = make_rs(false);
	const struct nlmsghdr *nlh;
	struct nft_batch b;
	unsigned int n = 0;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build(&b, &rs), 0);
	for (nlh = nft_batch_first(&b); nlh; nlh = nft_batch_following(&b, nlh)) {
		cr_expect(nlh->nlmsg_flags & NLM_F_ACK);
		n++;
	}
	cr_expect_eq(n, nft_batch_count(&b));
	nft_batch_free(&b);
}

Test(ruleset, real_servers_get_named_counters)
{
	struct ruleset rs = make_rs(false);
	struct elem_facts f;
	struct nft_batch b;

	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_nat(&b, &rs, &nat[1], false), 0);
	/* mark 0x20000 under mask 0xff0000: index 2 */
	cr_expect_eq(count(&b, NFT_MSG_NEWOBJ, NFPROTO_INET), 2);
	find_elem(&b, "cnt_in", &f);
	find_elem(&b, "cnt_out", &f);
	nft_batch_free(&b);

	/* deleting: elements before their objects, which they hold */
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_nat(&b, &rs, &nat[1], true), 0);
	cr_expect_eq(count(&b, NFT_MSG_DELOBJ, NFPROTO_INET), 2);
	cr_expect_eq(count(&b, NFT_MSG_NEWOBJ, NFPROTO_INET), 0);
	nft_batch_free(&b);
}

Test(ruleset, timeouts_replace_policies_atomically)
{
	struct ruleset rs = make_rs(false);
	struct nft_batch b;

	rs.timeouts = (struct rs_timeouts){ 600, 60, 200, { 1 } };
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_timeouts(&b, &rs, (unsigned int[2]){ 0, 0 }), 0);
	/* flush mark_new and conn_new, drop the four policies, make them
	 * again, then the rules: mark_new's FIN/RST event rule and goto,
	 * conn_new's mark, two event masks and four timeouts */
	cr_expect_eq(count(&b, NFT_MSG_DELRULE, NFPROTO_INET), 2);
	cr_expect_eq(count(&b, NFT_MSG_DELOBJ, NFPROTO_INET), 4);
	cr_expect_eq(count(&b, NFT_MSG_NEWOBJ, NFPROTO_INET), 4);
	cr_expect_eq(count(&b, NFT_MSG_NEWRULE, NFPROTO_INET), 9);
	/* no DR service: no lvs chain to rebuild */
	cr_expect_eq(count(&b, NFT_MSG_DELRULE, NFPROTO_IPV4), 0);
	cr_expect_eq(count(&b, NFT_MSG_NEWRULE, NFPROTO_IPV4), 0);
	nft_batch_free(&b);
	/* an IPv4 DR service: lvs (ip) flushed and rebuilt, nothing of ip6 */
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_timeouts(&b, &rs,
					    (unsigned int[2]){ RS_CHAINS_LVS, 0 }), 0);
	cr_expect_eq(count(&b, NFT_MSG_DELRULE, NFPROTO_IPV4), 1);
	cr_expect_eq(count(&b, NFT_MSG_NEWRULE, NFPROTO_IPV4), 17);
	cr_expect_eq(count(&b, NFT_MSG_DELRULE, NFPROTO_IPV6), 0);
	cr_expect_eq(count(&b, NFT_MSG_NEWRULE, NFPROTO_IPV6), 0);
	nft_batch_free(&b);
}

/* DR and TUN services in their own sets; a DR flow element with its
 * timeout: client . port . vip . port -> mark. */
Test(ruleset, dr_and_tun_elements)
{
	struct ruleset rs = make_rs(false);
	struct nft_batch b;
	struct elem_facts f;
	struct rs_flow fl = { .sport = 40000, .dport = 80, .mark = 0x00030007,
			      .map = RS_FLOWS_TCP, .timeout_ms = 900000 };
	static const uint8_t svc4[12] = { 10, 0, 1, 100, IPPROTO_TCP, 0, 0, 0, 0, 80, 0, 0 };
	static const uint8_t flow4[16] = { 10, 0, 1, 2, 0x9c, 0x40, 0, 0,
					   10, 0, 1, 100, 0, 80, 0, 0 };
	const struct nlmsghdr *nlh;
	uint32_t mark;

	svc[0].fwd = FWD_DR;
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_service(&b, &rs, &svc[0], false), 0);
	cr_expect_eq(count(&b, NFT_MSG_NEWSETELEM, -1), 1, "the dr set only");
	find_elem(&b, "dr4", &f);
	cr_expect_arr_eq(f.key, svc4, 12);
	nft_batch_free(&b);
	svc[0].fwd = FWD_TUN;
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_service(&b, &rs, &svc[0], false), 0);
	find_elem(&b, "tun4", &f);
	nft_batch_free(&b);
	svc[0].fwd = FWD_NAT;

	addr_parse("10.0.1.2", &fl.saddr);
	addr_parse("10.0.1.100", &fl.daddr);
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_flow(&b, &rs, &fl, false), 0);
	nlh = nft_batch_first(&b);
	cr_expect_eq(msg_family(nlh), NFPROTO_IPV4);
	find_elem(&b, "dr_tcp4", &f);
	cr_assert_eq(f.klen, 16);
	cr_expect_arr_eq(f.key, flow4, 16);
	cr_assert_eq(f.dlen, 4);
	memcpy(&mark, f.data, 4);
	cr_expect_eq(mark, 0x00030007, "the whole packet mark, host order");
	nft_batch_free(&b);

	fl.map = RS_FLOWS_CLOSING;
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_flow(&b, &rs, &fl, true), 0);
	cr_expect_eq(count(&b, NFT_MSG_DELSETELEM, -1), 1);
	find_elem(&b, "dr_closing4", &f);
	cr_expect_eq(f.dlen, 0);
	nft_batch_free(&b);
}

/* ---- dumps read back, from tests/fuzz/corpus/nft_fuzz ------------------- */

static void count_counter(void *ctx, uint32_t index, bool in,
			  uint64_t packets, uint64_t bytes)
{
	uint64_t *sum = ctx;

	if (index == 1 && in) {
		cr_expect_eq(packets, 10);
		cr_expect_eq(bytes, 6400);
	}
	sum[0]++;
	sum[1] += packets;
}

Test(ruleset, counters_from_a_kernel_dump)
{
	uint64_t buf[1024], sum[2] = { 0, 0 };
	size_t n = fuzz_corpus("nft_fuzz", "counters", 2, buf, sizeof(buf));

	ruleset_parse_counters(buf, n, count_counter, sum);
	cr_expect_eq(sum[0], 3, "rs1_in, rs1_out, rs2_in");
	cr_expect_eq(sum[1], 19);
}

static void one_flow(void *ctx, const struct rs_flow *f)
{
	char a[ADDR_STRLEN];

	cr_expect_str_eq(addr_str(&f->saddr, a, sizeof(a)), "10.0.0.5");
	cr_expect_str_eq(addr_str(&f->daddr, a, sizeof(a)), "10.0.1.100");
	cr_expect_eq(f->sport, 40000);
	cr_expect_eq(f->dport, 80);
	cr_expect_eq(f->mark, 0x10000);
	cr_expect(f->timeout_ms > 0 && f->timeout_ms <= 300000);
	(*(int *)ctx)++;
}

Test(ruleset, flows_from_a_kernel_dump)
{
	uint64_t buf[1024];
	size_t n = fuzz_corpus("nft_fuzz", "dr_tcp4", 2, buf, sizeof(buf));
	int seen = 0;

	ruleset_parse_flows(buf, n, AF_INET, RS_FLOWS_TCP, one_flow, &seen);
	cr_expect_eq(seen, 1);
}

static void count_mark(void *ctx, uint32_t mark, const struct nflvs_addr *a)
{
	char s[ADDR_STRLEN];

	cr_expect_str_eq(addr_str(a, s, sizeof(s)),
			 mark == 0x10000 ? "10.0.2.11" : "10.0.2.12");
	(*(int *)ctx)++;
}

Test(ruleset, marks_from_a_kernel_dump)
{
	uint64_t buf[1024];
	size_t n = fuzz_corpus("nft_fuzz", "nat4", 2, buf, sizeof(buf));
	int seen = 0;

	ruleset_parse_marks(buf, n, AF_INET, count_mark, &seen);
	cr_expect_eq(seen, 2);
}

/* nft_fuzz found: libnftnl exit()s the process ("nf_tables kernel ABI is
 * broken") on an attribute of an unexpected size in a dump: here the
 * element's expiration.  What can be read is; the rest is skipped. */
static void flow_no_timeout(void *ctx, const struct rs_flow *f)
{
	cr_expect_eq(f->mark, 0x10000);
	cr_expect_eq(f->timeout_ms, 0, "the expiration was not 8 bytes");
	(*(int *)ctx)++;
}

Test(ruleset, a_malformed_dump_is_skipped_not_fatal)
{
	uint64_t buf[1024];
	size_t n = fuzz_corpus("nft_fuzz", "regress-abi-exit", 2, buf,
			       sizeof(buf));
	int seen = 0;

	ruleset_parse_flows(buf, n, AF_INET, RS_FLOWS_TCP, flow_no_timeout,
			    &seen);
	cr_expect_eq(seen, 1);
}

/* ---- single flows looked up ------------------------------------------------ */

/* The requests: one GETSETELEM each, no ack asked, in its flow's map,
 * the key as the elements are made (ruleset_build_flow()). */
Test(ruleset, lookups_ask_one_element_each)
{
	struct ruleset rs = make_rs(false);
	struct rs_flow q[2] = {
		{ .sport = 40000, .dport = 80, .map = RS_FLOWS_TCP },
		{ .sport = 53000, .dport = 53, .map = RS_FLOWS_UDP },
	};
	uint64_t buf[1024];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct nlattr *a;
	size_t len;
	int i = 0;

	addr_parse("10.0.0.5", &q[0].saddr);
	addr_parse("10.0.1.100", &q[0].daddr);
	addr_parse("2001:db8::5", &q[1].saddr);
	addr_parse("2001:db8::1", &q[1].daddr);
	len = ruleset_build_lookups(buf, sizeof(buf), &rs, q, 2, 1000);
	cr_assert_gt(len, 0);
	while (mnl_nlmsg_ok(nlh, (int)len)) {
		const char *set = NULL;
		size_t klen = 0;

		cr_expect_eq(nlh->nlmsg_type,
			     (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM);
		cr_expect_eq(nlh->nlmsg_seq, 1000u + i);
		cr_expect_not(nlh->nlmsg_flags & (NLM_F_ACK | NLM_F_DUMP));
		cr_expect_eq(msg_family(nlh), i ? NFPROTO_IPV6 : NFPROTO_IPV4);
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
				set = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS) {
				const struct nlattr *el = mnl_attr_get_payload(a);
				const struct nlattr *key = mnl_attr_get_payload(el);
				const struct nlattr *v = mnl_attr_get_payload(key);

				klen = mnl_attr_get_payload_len(v);
			}
		}
		cr_expect_str_eq(set, i ? "dr_udp6" : "dr_tcp4");
		cr_expect_eq(klen, i ? 40u : 16u);
		nlh = mnl_nlmsg_next(nlh, (int *)&len);
		i++;
	}
	cr_expect_eq(i, 2);
	/* no room: as many as fit */
	cr_expect_eq(ruleset_build_lookups(buf, 100, &rs, q, 2, 1), 0);
}

/* The replies: the element (a kernel's, from the corpus), "no such
 * element", another error, and messages that are not ours. */
Test(ruleset, lookup_replies_say_found_gone_or_unknown)
{
	uint64_t buf[2048];
	char *p = (char *)buf;
	size_t n = fuzz_corpus("nft_fuzz", "dr_tcp4", 2, buf, sizeof(buf) / 2);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct rs_flow q[3] = { { .map = RS_FLOWS_TCP } };
	int8_t found[3] = { -1, -1, -1 };
	int errs[3] = { -ENOENT, -EPERM, -ENOENT }, i;

	cr_assert_gt(n, 0);
	nlh->nlmsg_seq = 500;		/* the element answers request 0 */
	n = NLMSG_ALIGN(nlh->nlmsg_len);
	for (i = 0; i < 3; i++) {
		struct nlmsghdr *e = mnl_nlmsg_put_header(p + n);
		struct nlmsgerr *err = mnl_nlmsg_put_extra_header(e, sizeof(*err));

		e->nlmsg_type = NLMSG_ERROR;
		e->nlmsg_seq = i == 2 ? 999 : 501 + i;	/* 999: not ours */
		err->error = errs[i];
		n += NLMSG_ALIGN(e->nlmsg_len);
	}
	cr_expect_eq(ruleset_parse_lookups(buf, n, 500, q, found, 3), 3);
	cr_expect_eq(found[0], 1);
	cr_expect_eq(q[0].mark, 0x10000);
	cr_expect(q[0].timeout_ms > 0 && q[0].timeout_ms <= 300000);
	cr_expect_eq(found[1], 0, "ENOENT: the kernel has no such element");
	cr_expect_eq(found[2], -1, "another error tells nothing");
	/* cut short into the EPERM one: only whole messages count */
	found[0] = found[1] = -1;
	cr_expect_eq(ruleset_parse_lookups(buf, n - NLMSG_ALIGN(
			NLMSG_LENGTH(sizeof(struct nlmsgerr))) - 4, 500, q,
			found, 3), 2);
}

/* nft_fuzz found: a last reply whose length is not a multiple of 4 had
 * the parser step past the end of the buffer. */
Test(ruleset, a_lookup_reply_cut_in_its_padding_ends_the_read)
{
	uint64_t buf[64];
	size_t n = fuzz_corpus("nft_fuzz", "regress-lookup-padding", 2, buf,
			       sizeof(buf));
	struct rs_flow q[16] = { { .map = RS_FLOWS_TCP } };
	int8_t found[16];

	cr_assert_eq(n, 19);
	memset(found, -1, sizeof(found));
	cr_expect_leq(ruleset_parse_lookups(buf, n, 0, q, found, 16), 1);
}

static void count_calls(void *ctx, uint32_t idx, bool in,
			  uint64_t packets, uint64_t bytes)
{
	(void)idx;
	(void)in;
	(void)packets;
	(void)bytes;
	(*(int *)ctx)++;
}

/* nft_fuzz found: a last message whose length is not a multiple of 4, the
 * buffer ending before its padding, had libmnl read an attribute into the
 * padding, past the buffer (ASan, make check SANITIZE=1).  Only whole
 * messages are read. */
Test(ruleset, a_counter_dump_cut_in_its_padding_ends_the_read)
{
	uint64_t raw[64];
	size_t n = fuzz_corpus("nft_fuzz", "regress-counter-padding", 2, raw,
			       sizeof(raw));
	void *buf;
	int calls = 0;

	cr_assert_eq(n, 51);
	buf = malloc(n);	/* exactly: ASan sees a read past it */
	cr_assert_not_null(buf);
	memcpy(buf, raw, n);
	cr_expect_geq(ruleset_parse_counters(buf, n, count_calls, &calls), -1);
	cr_expect_eq(calls, 0);
	free(buf);
}

/* ---- kernel scheduling (ksched.h) --------------------------------------- */

/*
 * The chain named by the first element of set @name in the batch, and
 * that element's key.  (libnftnl does not parse the element message of
 * a rule's anonymous map, which the kernel takes: skipped.)
 */
static void ks_elem_chain(const struct nft_batch *b, const char *name,
			  char *chain, size_t len, uint8_t key[12])
{
	const struct nlmsghdr *nlh;

	chain[0] = '\0';
	for (nlh = nft_batch_first(b); nlh; nlh = nft_batch_following(b, nlh)) {
		struct nftnl_set *s = nftnl_set_alloc();
		struct nftnl_set_elems_iter *it;
		struct nftnl_set_elem *e;

		if (msg_type(nlh) != NFT_MSG_NEWSETELEM) {
			nftnl_set_free(s);
			continue;
		}
		if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
			nftnl_set_free(s);
			continue;
		}
		it = nftnl_set_elems_iter_create(s);
		e = nftnl_set_elems_iter_next(it);
		if (e && !strcmp(nftnl_set_get_str(s, NFTNL_SET_NAME), name)) {
			uint32_t klen;
			const void *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY,
							   &klen);

			if (key && klen == 12)
				memcpy(key, k, 12);
			cr_expect_eq(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT),
				     (uint32_t)NFT_JUMP);
			snprintf(chain, len, "%s",
				 nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN));
		}
		nftnl_set_elems_iter_destroy(it);
		nftnl_set_free(s);
	}
}

Test(ruleset, kernel_scheduling_chain_and_its_element)
{
	struct ruleset rs = make_rs(false);
	static const uint32_t marks[3] = { 0x00010000, 0x00020000, 0x00010000 };
	static const uint8_t svc4[12] = { 10, 0, 1, 100, IPPROTO_TCP, 0, 0, 0, 0, 80, 0, 0 };
	struct rs_ksched k = { .id = 7, .marks = marks, .n = 3 };
	const struct nlmsghdr *nlh;
	struct rule_facts r;
	struct nft_batch b;
	uint8_t key[12] = { 0 };
	char chain[32];
	int rules = 0;

	k.svc = svc[0];
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_ksched(&b, &rs, &k), 0);
	cr_expect_eq(count(&b, NFT_MSG_NEWCHAIN, NFPROTO_IPV4), 1);
	cr_expect_eq(count(&b, NFT_MSG_NEWSET, NFPROTO_IPV4), 1, "the cycle's map");
	for (nlh = NULL; (nlh = next_rule(&b, nlh, &r)); ) {
		cr_expect_str_eq(r.chain, "ks7");
		cr_expect_eq(r.verdict, NF_ACCEPT);
		cr_expect_eq(r.ct_expr, 1, "ct mark set");
		cr_expect_eq(r.queue_expr + r.target_expr, 0);
		rules++;
	}
	cr_expect_eq(rules, 1);
	ks_elem_chain(&b, "ksched4", chain, sizeof(chain), key);
	cr_expect_str_eq(chain, "ks7");
	cr_expect_arr_eq(key, svc4, 12);
	nft_batch_free(&b);

	/* a new cycle: the rule is replaced, the element stays */
	k.had = true;
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_ksched(&b, &rs, &k), 0);
	cr_expect_eq(count(&b, NFT_MSG_NEWCHAIN, -1), 0);
	cr_expect_eq(count(&b, NFT_MSG_DELRULE, NFPROTO_IPV4), 1);
	cr_expect_eq(count(&b, NFT_MSG_NEWRULE, NFPROTO_IPV4), 1);
	ks_elem_chain(&b, "ksched4", chain, sizeof(chain), NULL);
	cr_expect_str_eq(chain, "", "no new element");
	nft_batch_free(&b);

	/* none: the element, the rule and the chain go */
	k.n = 0;
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_ksched(&b, &rs, &k), 0);
	cr_expect_eq(count(&b, NFT_MSG_DELSETELEM, NFPROTO_IPV4), 1);
	cr_expect_eq(count(&b, NFT_MSG_DELCHAIN, NFPROTO_IPV4), 1);
	cr_expect_eq(count(&b, NFT_MSG_NEWRULE, -1), 0);
	nft_batch_free(&b);

	/* with the native queue, in the inet table */
	rs = make_rs(true);
	k.svc = svc[1];
	k.n = 3;
	k.had = false;
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(ruleset_build_ksched(&b, &rs, &k), 0);
	cr_expect_eq(count(&b, NFT_MSG_NEWCHAIN, NFPROTO_INET), 1);
	ks_elem_chain(&b, "ksched6", chain, sizeof(chain), NULL);
	cr_expect_str_eq(chain, "ks7");
	nft_batch_free(&b);
}
