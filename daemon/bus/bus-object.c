/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "bus/bus-object.h"

int bus_add_implementation(sd_bus *bus, const BusObjectImplementation *impl, void *userdata, sd_bus_slot **slots) {
        int r;

        assert(bus);
        assert(impl);
        assert(impl->path);

        if (impl->object_manager) {
                r = sd_bus_add_object_manager(bus, slots ? &slots[0] : NULL, impl->object_manager);
                if (r < 0)
                        return r;
        }
        if (impl->find)
                r = sd_bus_add_fallback_vtable(bus, slots ? &slots[1] : NULL, impl->path, impl->interface,
                                               impl->vtable, impl->find, userdata);
        else
                r = sd_bus_add_object_vtable(bus, slots ? &slots[1] : NULL, impl->path, impl->interface,
                                             impl->vtable, userdata);
        if (r < 0)
                return r;
        if (impl->enumerator) {
                r = sd_bus_add_node_enumerator(bus, slots ? &slots[2] : NULL, impl->path, impl->enumerator,
                                               userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}
