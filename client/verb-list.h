/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

/* Calls List() and returns the modules as the JSON array that 'list --json' prints. */
int list_modules(sd_bus *bus, bool ask_password, json_object **ret);
