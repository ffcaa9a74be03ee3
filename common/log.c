// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One line per event, to stderr (systemd's journal adds the timestamp) or to
 * syslog.  Safe to call from several threads: each line is one write.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static struct {
	const char *ident;
	bool syslog;
	int level;
} logcfg = { "nflvs", false, LOG_INFO };

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_open(const char *ident, bool use_syslog, int level)
{
	logcfg.ident = ident;
	logcfg.syslog = use_syslog;
	logcfg.level = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	logcfg.level = level;
}

int log_level(void)
{
	return logcfg.level;
}

void log_close(void)
{
	if (logcfg.syslog)
		closelog();
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;

	if (prio > logcfg.level)
		return;
	va_start(ap, fmt);
	if (logcfg.syslog) {
		vsyslog(prio, fmt, ap);
		va_end(ap);
		return;
	}
	n = snprintf(line, sizeof(line), "%s[%d]: %s: ", logcfg.ident,
		     (int)getpid(), level_names[prio & 7]);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}
