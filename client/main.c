/* xasync: the commune clerk's command.  See cli.c and commands.c. */
#include "cli.h"

int main(int argc, char **argv)
{
    return xa_cli_main(argc, argv);
}
