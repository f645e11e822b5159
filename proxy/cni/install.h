/* SPDX-License-Identifier: GPL-2.0-only */
/* `tsn install` / `tsn uninstall`: chain the plugin into a node's CNI configuration. */
#ifndef TSN_CNI_INSTALL_H
#define TSN_CNI_INSTALL_H

#include <stdbool.h>

/* argv[0] is "install" or "uninstall"; returns the process exit status. */
int tsn_cni_install_main(int argc, char **argv, bool install);

#endif /* TSN_CNI_INSTALL_H */
