/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor of a kernel module request: a static binary that only exits 0. With
 * kernel.modprobe pointing here, a request costs what the kernel's exec of a usermode helper
 * costs and nothing more. Built with the same static glibc as modctl-request. */
int main(void) {
        return 0;
}
