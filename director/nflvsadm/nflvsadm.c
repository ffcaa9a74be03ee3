// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvsadm: ipvsadm's command line and output for nflvs, over the
 * director's control socket.  adm_parse.c turns argv (or a line of -R)
 * into one struct adm_cmd, the table below runs it, and only this file
 * prints: listings to stdout, one error report to stderr, with ipvsadm's
 * exit statuses (2 bad arguments or no director, 255 a change refused,
 * 1 a listing that failed).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm_client.h"
#include "adm_format.h"
#include "adm_parse.h"
#include "names.h"

#define NAMES_BUDGET_MS	3000	/* all host-name lookups of one run */

struct adm {
	const char *prog;		/* argv[0], as ipvsadm's usage says it */
	const char *name;		/* its basename, for our own messages */
	struct adm_client client;
	struct adm_resolver *res;
	struct adm_lookup lookup;
	struct adm_names names;
};

typedef int run_fn(struct adm *a, const struct adm_cmd *c);

static run_fn run_edit, run_zero, run_set,
	      run_daemon, run_list, run_save, run_restore, run_reload,
	      run_role, run_status, run_check;

/*
 * What each command does, whether it talks to the director, and ipvsadm's
 * exit status when it fails (255: process_options() returned -1; 1:
 * list_all() and list_service() exit(1)).
 */
static const struct {
	enum adm_cmd_type type;
	run_fn *run;
	bool director;
	int fail_status;
} commands[] = {
	{ ADM_CMD_ADD, run_edit, true, 255 },
	{ ADM_CMD_EDIT, run_edit, true, 255 },
	{ ADM_CMD_DEL, run_edit, true, 255 },
	{ ADM_CMD_ADDDEST, run_edit, true, 255 },
	{ ADM_CMD_EDITDEST, run_edit, true, 255 },
	{ ADM_CMD_DELDEST, run_edit, true, 255 },
	{ ADM_CMD_FLUSH, run_edit, true, 255 },
	{ ADM_CMD_ZERO, run_zero, true, 255 },
	{ ADM_CMD_TIMEOUT, run_set, true, 255 },
	{ ADM_CMD_STARTDAEMON, run_daemon, true, 255 },
	{ ADM_CMD_STOPDAEMON, run_daemon, true, 255 },
	{ ADM_CMD_LIST, run_list, true, 1 },
	{ ADM_CMD_SAVE, run_save, true, 1 },
	{ ADM_CMD_RESTORE, run_restore, true, 255 },
	{ ADM_CMD_RELOAD, run_reload, true, 1 },
	{ ADM_CMD_ROLE, run_role, true, 1 },
	{ ADM_CMD_STATUS, run_status, true, 1 },
	{ ADM_CMD_CHECK, run_check, true, 1 },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* Commands ---------------------------------------------------------------- */

/*
 * An edit (-A/-E/-D, -a/-e/-d, -C) as its control request, the same for
 * the command alone and for a line of -R's batches.  -ENOENT for what the
 * kernel refuses when the module is not there: nflvs has no persistence
 * engines, and only the schedulers of nflvs.conf(5).
 */
struct edit_req {
	uint16_t type;
	uint32_t len;
	struct {
		struct nflvs_ctl_svc svc;
		struct nflvs_ctl_dest dest;
	} p;
};

static int edit_request(const struct adm_cmd *c, struct edit_req *r)
{
	r->p.svc = c->svc;
	r->p.dest = c->dest;
	r->len = sizeof(r->p.svc);
	switch (c->type) {
	case ADM_CMD_ADD:
		r->type = NFLVS_CTL_ADD_SERVICE;
		break;
	case ADM_CMD_EDIT:
		r->type = NFLVS_CTL_EDIT_SERVICE;
		break;
	case ADM_CMD_DEL:
		r->type = NFLVS_CTL_DEL_SERVICE;
		return 0;
	case ADM_CMD_ADDDEST:
		r->type = NFLVS_CTL_ADD_DEST;
		r->len = sizeof(r->p);
		return 0;
	case ADM_CMD_EDITDEST:
		r->type = NFLVS_CTL_EDIT_DEST;
		r->len = sizeof(r->p);
		return 0;
	case ADM_CMD_DELDEST:
		r->type = NFLVS_CTL_DEL_DEST;
		r->len = sizeof(r->p);
		return 0;
	default:		/* ADM_CMD_FLUSH, the only other edit */
		r->type = NFLVS_CTL_FLUSH;
		r->len = 0;
		return 0;
	}
	return c->pe[0] || !sched_name_valid(c->svc.sched) ? -ENOENT : 0;
}

static int run_edit(struct adm *a, const struct adm_cmd *c)
{
	struct edit_req r;
	int err = edit_request(c, &r);

	return err ? err : adm_client_call(&a->client, r.type, &r.p, r.len,
					    NULL, NULL);
}

static int run_zero(struct adm *a, const struct adm_cmd *c)
{
	bool one = c->opts & ADM_OPT(ADM_OPT_SERVICE);

	return adm_client_call(&a->client, NFLVS_CTL_ZERO, one ? &c->svc : NULL,
			       one ? sizeof(c->svc) : 0, NULL, NULL);
}

static int run_set(struct adm *a, const struct adm_cmd *c)
{
	return adm_client_call(&a->client, NFLVS_CTL_SET_TIMEOUT, &c->timeout,
			       sizeof(c->timeout), NULL, NULL);
}

static int run_daemon(struct adm *a, const struct adm_cmd *c)
{
	return adm_client_call(&a->client,
			       c->type == ADM_CMD_STARTDAEMON ?
			       NFLVS_CTL_START_DAEMON : NFLVS_CTL_STOP_DAEMON,
			       &c->daemon, sizeof(c->daemon), NULL, NULL);
}

static int list_daemons(struct adm *a, unsigned int fmt)
{
	struct nflvs_ctl_daemon *d;
	uint32_t len;
	void *buf;
	int r;

	r = adm_client_call(&a->client, NFLVS_CTL_GET_DAEMON, NULL, 0, &buf,
			    &len);
	if (r)
		return r;
	if (len % sizeof(*d) || len > 2 * sizeof(*d)) {
		free(buf);
		return -EPROTO;
	}
	d = buf;
	if (fmt & ADM_FMT_JSON)
		adm_json_daemons(stdout, d, len / sizeof(*d));
	else
		adm_format_daemons(stdout, d, len / sizeof(*d));
	free(buf);
	return 0;
}

static int run_reload(struct adm *a, const struct adm_cmd *c)
{
	(void)c;
	return adm_client_call(&a->client, NFLVS_CTL_RELOAD, NULL, 0, NULL,
			       NULL);
}

/* keepalived's notify hooks: the director's place in the pair */
static int run_role(struct adm *a, const struct adm_cmd *c)
{
	struct nflvs_ctl_role r = { .role = c->role };

	return adm_client_call(&a->client, NFLVS_CTL_SET_ROLE, &r, sizeof(r),
			       NULL, NULL);
}

/* The role, the mark table and the peer's verdict, as the director says */
static int run_status(struct adm *a, const struct adm_cmd *c)
{
	void *text = NULL;
	uint32_t len = 0;
	int r;

	(void)c;
	r = adm_client_call(&a->client, NFLVS_CTL_STATUS, NULL, 0, &text, &len);
	if (!r && text)
		fwrite(text, 1, len, stdout);
	free(text);
	return r;
}

/* keepalived's vrrp_script: exit 0 while the director runs and applies */
static int run_check(struct adm *a, const struct adm_cmd *c)
{
	(void)c;
	return adm_client_call(&a->client, NFLVS_CTL_CHECK, NULL, 0, NULL,
			       NULL);
}

/* -L -t SERVICE: the titles and that service, no version line. */
static int list_one(struct adm *a, const struct adm_cmd *c)
{
	struct nflvs_ctl_info info;
	struct adm_list list;
	int r;

	r = adm_client_list(&a->client, &c->svc, &list);
	if (!r && (c->fmt & ADM_FMT_JSON))
		r = adm_client_info(&a->client, &info);
	if (r)
		goto out;
	if (c->fmt & ADM_FMT_SORT)
		adm_list_sort(&list);
	if (c->fmt & ADM_FMT_JSON)
		adm_json_list(stdout, &info, &list);
	else
		adm_format_list(stdout, NULL, &list, c->fmt, &a->names);
out:
	adm_list_free(&list);
	return r;
}

static int list_all(struct adm *a, unsigned int fmt)
{
	struct nflvs_ctl_info info;
	struct adm_list list = { 0 };
	int r;

	r = adm_client_info(&a->client, &info);
	if (!r)
		r = adm_client_list(&a->client, NULL, &list);
	if (r)
		return r;
	if (fmt & ADM_FMT_SORT)
		adm_list_sort(&list);
	if (fmt & ADM_FMT_JSON)
		adm_json_list(stdout, &info, &list);
	else
		adm_format_list(stdout, &info, &list, fmt, &a->names);
	adm_list_free(&list);
	return 0;
}

static int list_conns(struct adm *a, unsigned int fmt)
{
	struct adm_conns conns;
	int r = adm_client_conns(&a->client, &conns);

	if (r)
		return r;
	if (fmt & ADM_FMT_JSON)
		adm_json_conns(stdout, &conns);
	else
		adm_format_conns(stdout, &conns, fmt, &a->names);
	adm_conns_free(&conns);
	return 0;
}

static int list_timeout(struct adm *a, unsigned int fmt)
{
	struct nflvs_ctl_timeout t;
	int r = adm_client_timeout(&a->client, &t);

	if (r)
		return r;
	if (fmt & ADM_FMT_JSON)
		adm_json_timeout(stdout, &t);
	else
		adm_format_timeout(stdout, &t);
	return 0;
}

static int run_list(struct adm *a, const struct adm_cmd *c)
{
	if (c->opts & ADM_OPT(ADM_OPT_CONNECTION))
		return list_conns(a, c->fmt);
	if (c->opts & ADM_OPT(ADM_OPT_SERVICE))
		return list_one(a, c);
	if (c->opts & ADM_OPT(ADM_OPT_TIMEOUT))
		return list_timeout(a, c->fmt);
	if (c->opts & ADM_OPT(ADM_OPT_DAEMON))
		return list_daemons(a, c->fmt);
	return list_all(a, c->fmt);
}

static int run_save(struct adm *a, const struct adm_cmd *c)
{
	return list_all(a, c->fmt);
}

/* Reporting --------------------------------------------------------------- */

/* The director's text, each line as it sent it. */
static void print_text(const char *text)
{
	size_t n = strlen(text);

	fputs(text, stderr);
	if (n && text[n - 1] != '\n')
		fputc('\n', stderr);
}

/* Say once why command @c failed with @r; return the exit status. */
static int report(struct adm *a, const struct adm_cmd *c, int r, int status)
{
	const struct adm_client *cl = &a->client;

	if (cl->io_err) {
		fprintf(stderr, "%s: talking to the director at %s: %s\n",
			a->name, cl->path, strerror(cl->io_err));
	} else if (c->type == ADM_CMD_RELOAD || c->type >= ADM_CMD_ROLE) {
		if (cl->text)
			print_text(cl->text);
		else
			fprintf(stderr, "%s: %s failed: %s\n", a->name,
				c->type == ADM_CMD_RELOAD ? "reload" :
				c->type == ADM_CMD_ROLE ? "--role" :
				c->type == ADM_CMD_STATUS ? "--status" : "--check",
				strerror(-r));
	} else {
		fprintf(stderr, "%s\n", adm_strerror(c->type, -r));
		if (cl->text)
			print_text(cl->text);
	}
	return status;
}

/* ipvsadm's fail() and popt messages, and tryhelp_exit(). */
static int report_parse(struct adm *a, const struct adm_error *err)
{
	if (err->tryhelp)
		fprintf(stderr, "Try `%s -h' or '%s --help' for more "
			"information.\n", a->prog, a->prog);
	else
		fprintf(stderr, "%s\n", err->msg);
	return err->status;
}

static int connect_director(struct adm *a, const struct adm_cmd *c)
{
	const char *path = adm_socket_path(c->socket);
	int r = adm_client_connect(&a->client, path);

	if (!r)
		return 0;
	fprintf(stderr, "%s: cannot connect to the director at %s: %s%s\n",
		a->name, path, strerror(-r),
		r == -ENOENT || r == -ECONNREFUSED ?
		" (is nflvs-director running?)" :
		r == -EACCES ? " (you must be root)" : "");
	return 2;
}

/*
 * Run a parsed command.  Returns the exit status; with @stop set when the
 * run must end there (-h or -v inside -R end it, as in ipvsadm).
 */
static int execute(struct adm *a, const struct adm_cmd *c, bool *stop)
{
	size_t i;
	int r;

	if (c->type == ADM_CMD_HELP || c->type == ADM_CMD_VERSION) {
		if (c->type == ADM_CMD_HELP)
			adm_format_usage(stdout, a->prog);
		else
			adm_format_version(stdout);
		*stop = true;
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (commands[i].type == c->type)
			break;
	if (i == NCOMMANDS)
		return 255;
	if (commands[i].director && a->client.fd < 0) {
		r = connect_director(a, c);
		if (r)
			return r;
	}
	r = commands[i].run(a, c);
	if (r < 0)
		return report(a, c, r, commands[i].fail_status);
	return r;
}

/* -R ---------------------------------------------------------------------- */

#define BATCH_BYTES	(1U << 20)	/* of one BATCH request */

/* Consecutive edit lines of -R, sent as one BATCH (one commit). */
struct batch {
	uint8_t *buf;
	size_t len, cap;
	struct { enum adm_cmd_type type; int line; } *cmd;
	size_t n, ncap;
};

/* An edit command, which -R may batch. */
static bool is_edit(const struct adm_cmd *c)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (commands[i].type == c->type)
			return commands[i].run == run_edit;
	return false;
}

static int batch_add(struct batch *b, const struct edit_req *r,
		     enum adm_cmd_type type, int line)
{
	struct nflvs_ctl_hdr h = { .magic = NFLVS_CTL_MAGIC,
				   .version = NFLVS_CTL_VERSION,
				   .type = r->type, .len = r->len };
	size_t need = b->len + sizeof(h) + r->len;

	if (need > b->cap) {
		uint8_t *nb = realloc(b->buf, need * 2);

		if (!nb)
			return -ENOMEM;
		b->buf = nb;
		b->cap = need * 2;
	}
	if (b->n == b->ncap) {
		size_t nc = b->ncap ? b->ncap * 2 : 64;
		void *cmd = realloc(b->cmd, nc * sizeof(*b->cmd));

		if (!cmd)
			return -ENOMEM;
		b->cmd = cmd;
		b->ncap = nc;
	}
	memcpy(b->buf + b->len, &h, sizeof(h));
	memcpy(b->buf + b->len + sizeof(h), &r->p, r->len);
	b->len = need;
	b->cmd[b->n].type = type;
	b->cmd[b->n++].line = line;
	return 0;
}

/* One sub-request of @b at a time, for a director before BATCH. */
static int batch_one_by_one(struct adm *a, struct batch *b, uint32_t *done)
{
	size_t off = 0;
	int r = 0;

	for (*done = 0; *done < b->n; (*done)++) {
		struct nflvs_ctl_hdr h;

		memcpy(&h, b->buf + off, sizeof(h));
		r = adm_client_call(&a->client, h.type, b->buf + off + sizeof(h),
				    h.len, NULL, NULL);
		if (r)
			break;
		off += sizeof(h) + h.len;
	}
	return r;
}

/* Send what @b holds; on failure report it, with its line in *@line. */
static int batch_flush(struct adm *a, struct batch *b, int *line)
{
	struct adm_cmd failed;
	uint32_t done = 0;
	int r;

	if (!b->n)
		return 0;
	r = adm_client_batch(&a->client, b->buf, b->len, &done);
	if (r == -ENOSYS)
		r = batch_one_by_one(a, b, &done);
	b->len = 0;
	if (!r) {
		b->n = 0;
		return 0;
	}
	memset(&failed, 0, sizeof(failed));
	failed.type = b->cmd[done < b->n ? done : b->n - 1].type;
	*line = b->cmd[done < b->n ? done : b->n - 1].line;
	b->n = 0;
	return report(a, &failed, r, 255);
}

/*
 * Each line of stdin as a command line.  ipvsadm goes on after a command
 * the kernel refused and exits with the last line's status; nflvsadm stops
 * at the first line that fails, says which, and exits with its status.
 * Consecutive edits (-A/-E/-D/-a/-e/-d/-C) go to the director as BATCH
 * requests of up to BATCH_BYTES, each applied with one commit; the lines
 * before a failing one stay applied all the same.
 */
static int run_restore(struct adm *a, const struct adm_cmd *c)
{
	struct batch b = { 0 };
	struct edit_req er;
	struct adm_error err;
	struct adm_cmd line_cmd;
	char *line = NULL, **argv;
	size_t cap = 0;
	bool stop = false;
	int argc, status = 0, lineno = 0, failed_at = 0;

	while (!status && !stop && getline(&line, &cap, stdin) >= 0) {
		lineno++;
		failed_at = lineno;
		argc = adm_split_line(line, a->prog, &argv);
		if (argc < 0) {
			status = batch_flush(a, &b, &failed_at);
			if (!status)
				status = report(a, c, argc, 255);
			break;
		}
		if (argc > 1) {
			if (adm_parse(argc, argv, &a->lookup, ADM_PARSE_RESTORE,
				      &line_cmd, &err)) {
				status = batch_flush(a, &b, &failed_at);
				if (!status)
					status = report_parse(a, &err);
			} else if (is_edit(&line_cmd) &&
				   edit_request(&line_cmd, &er) == 0) {
				if (a->client.fd < 0)
					status = connect_director(a, &line_cmd);
				if (!status &&
				    batch_add(&b, &er, line_cmd.type, lineno) < 0)
					status = report(a, &line_cmd, -ENOMEM, 255);
				if (!status && b.len >= BATCH_BYTES)
					status = batch_flush(a, &b, &failed_at);
			} else {
				status = batch_flush(a, &b, &failed_at);
				if (!status) {
					failed_at = lineno;
					status = execute(a, &line_cmd, &stop);
				}
			}
		}
		adm_argv_free(argv);
	}
	if (!status)
		status = batch_flush(a, &b, &failed_at);
	if (status)
		fprintf(stderr, "%s: -R: stopped at line %d\n", a->name,
			failed_at);
	free(line);
	free(b.buf);
	free(b.cmd);
	return status;
}

int main(int argc, char *argv[])
{
	struct adm a = { .prog = argc > 0 ? argv[0] : "nflvsadm",
			 .client = { .fd = -1 } };
	const char *slash = strrchr(a.prog, '/');
	struct adm_error err;
	struct adm_cmd cmd;
	bool stop = false;
	int status;

	a.name = slash ? slash + 1 : a.prog;
	a.res = adm_resolver_new(NAMES_BUDGET_MS);
	if (a.res) {
		adm_resolver_lookup(a.res, &a.lookup);
		adm_resolver_names(a.res, &a.names);
	}
	if (adm_parse(argc, argv, &a.lookup, 0, &cmd, &err))
		status = report_parse(&a, &err);
	else
		status = execute(&a, &cmd, &stop);
	adm_client_close(&a.client);
	adm_resolver_free(a.res);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: writing the output: %s\n", a.name,
			strerror(errno));
		status = status ?: 1;
	}
	return status;
}
