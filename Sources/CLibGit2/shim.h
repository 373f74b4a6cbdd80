#ifndef KRATOS_CLIBGIT2_SHIM_H
#define KRATOS_CLIBGIT2_SHIM_H

#include <git2.h>

#endif
