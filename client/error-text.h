/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's error sentences are English. For the common kinds the CLI has its own sentence
 * in the user's language, built from the D-Bus error name and the names the daemon's sentence
 * carries (the module in quotes, the policy rule). */

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>

/* Writes the translated sentence for error into buf and returns true, or returns false when the
 * kind is not one we know or the user's catalog has no translation for it (then the daemon's
 * sentence is the one to print). */
bool error_text_translate(const sd_bus_error *error, char *buf, size_t size);
