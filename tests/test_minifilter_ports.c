/*
 * test_minifilter_ports.c - the generic minifilter fuzzer on the example port minifilter
 * (examples/mf_port.c), linked as a user links a driver (SEMANTICS.md FH-11, FH-12): the port the
 * driver creates at its load is found without target code, the seeds connect to it and send
 * messages, and the service's steps run in scenario order among the I/O (a connection made
 * before a create is there while the create runs).
 */
#include "kft.h"
#include "minifilter_util.h"

#include <string.h>

static kfh_drv_run run;
static char where[320];

static int run_text(const char *text) { return mf_run_text(text, &run, where, sizeof where); }

TEST(port_found_and_seeded)
{
    CHECK_EQ(kfh_mf_port_count(), 1);
    /* Create; teardown, dismount, unload, files; two port seeds. */
    CHECK_EQ(kfh_mf_seed_count(), 1 + 4 + 2);
    int port_seeds = 0;
    for (int k = 0; k < kfh_mf_seed_count(); k++) {
        static kfh_scenario s;
        char name[64];
        uint8_t bytes[4096];
        CHECK_EQ(kfh_mf_seed(k, &s, name, sizeof name), 0);
        size_t len = kfh_scenario_encode(&s, bytes, sizeof bytes);
        CHECK_EQ(kfh_mf_run(bytes, len, &run, where, sizeof where), 0);
        CHECK(run.loaded);
        if (strstr(name, "port")) {
            port_seeds++;
            /* The service connected to the driver's port, and the driver accepted it. */
            CHECK_EQ(run.connects, 1);
            CHECK_EQ(run.connected, 1);
            if (!strstr(name, "-io"))
                CHECK(run.sends >= 5);
        }
    }
    CHECK_EQ(port_seeds, 2);
}

TEST(service_steps_run_among_the_io)
{
    /* A message sent before the connection goes nowhere; one sent after it reaches the
     * driver: the steps run where they stand, not after all the I/O. */
    static const char text[] =
        "version 6\n"
        "msg_word 0x1\n"
        "msg_word 0x0\n"
        "port_connect 0 port=0 context=8\n"
        "mf_create 0 vol=0 name=setup ext=exe disp=open access=read attr=normal lower=fs opts=none exists\n"
        "msg_word 0x2\n"
        "msg_word 0x0\n"
        "msg_send 0 in=8 out=256\n"
        "mf_create 1 vol=0 name=notes ext=txt disp=open access=read attr=normal lower=fs opts=none exists\n"
        "port_disconnect 0\n";
    CHECK_EQ(run_text(text), 0);
    CHECK(run.loaded);
    CHECK_EQ(run.connected, 1);
    CHECK_EQ(run.sends, 1);
    CHECK_EQ(run.send[0].status, STATUS_SUCCESS);
    /* MFP_CMD_GET_EXTENSIONS answers with the watched extensions: some bytes came back. */
    CHECK(run.send[0].returned > 0);
    /* A port the driver does not have is skipped, and a finding-free run says so. */
    CHECK_EQ(run_text("version 6\nport_connect 0 port=3 context=0\nmsg_send 0 in=4 out=4\n"), 0);
    CHECK_EQ(run.connects, 0);
    CHECK_EQ(run.sends, 0);
}

TEST(trusted_client_always_replies)
{
    /* The port example's notify command makes the driver send the service a message and wait
     * for its reply with a timeout; a service that never reads makes FltSendMessage time out.
     * Trusted, the never_read answer is skipped: the service reads and replies. */
    static const char text[] =
        "version 6\n"
        "msg_word 0x1\n"
        "msg_word 0x0\n"
        "port_connect 0 port=0 context=8\n"
        "port_answer 0 never_read\n"
        "msg_word 0x4\n"
        "msg_word 0x4\n"
        "msg_word 0x1234\n"
        "msg_send 0 in=12 out=64\n"
        "port_disconnect 0\n";
    CHECK_EQ(run_text(text), 0);
    CHECK_EQ(run.sends, 1);
    /* The result's first field is FltSendMessage's status: STATUS_TIMEOUT, then STATUS_SUCCESS. */
    ULONG untrusted, trusted;
    memcpy(&untrusted, run.send[0].out, sizeof untrusted);
    CHECK_EQ(untrusted, STATUS_TIMEOUT);
    kfh_mf_set_client_trusted(1);
    CHECK_EQ(run_text(text), 0);
    kfh_mf_set_client_trusted(0);
    CHECK_EQ(run.sends, 1);
    memcpy(&trusted, run.send[0].out, sizeof trusted);
    CHECK_EQ(trusted, STATUS_SUCCESS);
}
