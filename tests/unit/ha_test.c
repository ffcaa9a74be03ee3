// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pair's side of the director (director/ha.c): roles and the flow
 * path's adoption flag, the mark table's digest and its comparison with
 * the peer's, and the text buffer --status is written into.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha.h"
#include "log.h"
#include "textbuf.h"

static struct svcset set;
static struct service svc;
static struct dest dests[3];

static void setup(void)
{
	static const char *const addrs[] = { "10.0.2.11", "10.0.2.12", "10.0.2.13" };
	unsigned int i;

	log_set_level(LOG_CRIT);
	cr_assert_eq(svcset_init(&set, 0x00ff0000), 0);
	memset(&svc, 0, sizeof(svc));
	svc.protocol = IPPROTO_TCP;
	svc.port = 80;
	cr_assert_eq(addr_parse("10.0.1.100", &svc.vip), 0);
	svc.family = svc.vip.family;
	for (i = 0; i < 3; i++) {
		char key[SERVICE_MARK_KEYLEN];

		memset(&dests[i], 0, sizeof(dests[i]));
		cr_assert_eq(addr_parse(addrs[i], &dests[i].addr), 0);
		dests[i].port = 80;
		dests[i].svc = &svc;
		service_mark_key(&svc, &dests[i].addr, 80, false, key, sizeof(key));
		cr_assert_eq(svcset_mark_take(&set, &dests[i], key), 0);
	}
}

static void teardown(void)
{
	svcset_fini(&set);
}

TestSuite(ha, .init = setup, .fini = teardown);

Test(ha, roles_and_adoption)
{
	struct ha h;
	int no_adopt = 0;

	cr_assert_eq(ha_init(&h, &set, &no_adopt, ""), 0);
	cr_expect_eq(ha_role(&h), HA_MASTER, "a director never told is master");
	cr_expect_eq(ha_fd(&h), -1);
	cr_assert_eq(ha_set_role(&h, HA_TAKEOVER, 1), 0);
	cr_expect_eq(no_adopt, 1);
	cr_assert_eq(ha_set_role(&h, HA_MASTER, 2), 0);
	cr_expect_eq(no_adopt, 0);
	cr_assert_eq(ha_set_role(&h, HA_BACKUP, 3), 0);
	cr_expect_eq(ha_role(&h), HA_BACKUP);
	cr_expect_eq(ha_set_role(&h, 4, 4), -EINVAL);
	cr_expect_eq(ha_role(&h), HA_BACKUP);
	ha_fini(&h);
}

Test(ha, digest_is_the_table_not_its_history)
{
	struct ha_digest a = ha_digest_of(&set), b;
	char key[SERVICE_MARK_KEYLEN];

	cr_expect_eq(a.nmarks, 3);
	cr_expect_eq(a.mask, 0x00ff0000);
	/* the same real server given back its mark: the same digest */
	svcset_mark_release(&set, &dests[1]);
	service_mark_key(&svc, &dests[1].addr, 80, false, key, sizeof(key));
	cr_assert_eq(svcset_mark_take(&set, &dests[1], key), 0);
	b = ha_digest_of(&set);
	cr_expect_eq(a.digest, b.digest);
	/* another mark for it: another digest */
	svcset_mark_release(&set, &dests[1]);
	cr_assert_eq(svcset_mark_take(&set, &dests[1], NULL), 0);
	b = ha_digest_of(&set);
	cr_expect_neq(a.digest, b.digest);
}

Test(ha, the_peers_verdict)
{
	struct ha h;
	int no_adopt = 0;
	struct ha_digest d;
	char *text;
	size_t len = 0;

	cr_assert_eq(ha_init(&h, &set, &no_adopt, ""), 0);
	h.ours = ha_digest_of(&set);
	h.state = HA_PEER_SILENT;
	snprintf(h.peer_str, sizeof(h.peer_str), "10.0.5.2:8849");
	d = h.ours;
	cr_expect_eq(ha_compare(&h, &d, 10), HA_PEER_SAME);
	d.mask = 0x0000ff00;
	cr_expect_eq(ha_compare(&h, &d, 20), HA_PEER_DIFFERENT);
	cr_expect_eq(h.mismatches, 1);
	cr_expect_eq(ha_compare(&h, &d, 30), HA_PEER_DIFFERENT);
	cr_expect_eq(h.mismatches, 1, "a verdict is counted when it changes");
	text = ha_status(&h, 40, &len);
	cr_assert_not_null(text);
	cr_expect(strstr(text, "Role: master"), "%s", text);
	cr_expect(strstr(text, "Marks: 3, mask 0x00ff0000"), "%s", text);
	cr_expect(strstr(text, "10.0.2.12:80 of TCP 10.0.1.100:80"), "%s", text);
	cr_expect_eq(strlen(text), len);
	free(text);
	ha_fini(&h);
}

Test(ha, textbuf_grows)
{
	struct textbuf t = { 0 };
	char *s;
	size_t len = 0;
	int i;

	for (i = 0; i < 1000; i++)
		textbuf_printf(&t, "%04d\n", i);
	s = textbuf_take(&t, &len);
	cr_assert_not_null(s);
	cr_expect_eq(len, 5000);
	cr_expect_eq(strncmp(s + 4995, "0999\n", 5), 0);
	cr_expect_eq(s[5000], '\0');
	free(s);
	cr_expect_null(t.buf);
}
