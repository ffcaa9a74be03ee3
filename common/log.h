/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_LOG_H
#define NFLVS_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Levels are syslog's (LOG_ERR .. LOG_DEBUG). */
/* "error" .. "debug", NULL-terminated: the names of LOG_ERR .. LOG_DEBUG. */
extern const char *const log_level_names[];
/* The level of @name (LOG_INFO if it is none of them), raised by
 * @verbose steps up to LOG_DEBUG. */
int log_level_parse(const char *name, int verbose);

void log_open(const char *ident, bool use_syslog, int level);
void log_set_level(int level);
int log_level(void);
void log_close(void);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	do { if (log_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
