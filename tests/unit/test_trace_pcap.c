// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tracer's expression from the words after the options (lib/trace_pcap.c): joined as
 * tcpdump joins them, refused with libpcap's message, and an Ethernet-only expression accepted
 * (its raw-IP variant selects nothing). The splice into the BPF object is tested on real traffic
 * by tests/integration/test_pcap_filter.sh.
 */
#include <errno.h>
#include <string.h>

#include "test.h"
#include "trace_pcap.h"

TEST(trace_pcap_words)
{
	char *const words[] = {"udp", "and", "dst", "port", "5001"};
	char *const bad[] = {"udp", "prot", "53"};
	char *const ether[] = {"ether host 02:00:00:00:00:01 and not vlan"};
	struct tt_pcap *p = (struct tt_pcap *)1;
	char err[512];

	ASSERT_OK(tt_pcap_compile(0, NULL, &p, err, sizeof(err)), "no words");
	ASSERT_TRUE(p == NULL, "no words: no expression");

	ASSERT_OK(tt_pcap_compile(5, words, &p, err, sizeof(err)), "words");
	ASSERT_STREQ(tt_pcap_expr(p), "udp and dst port 5001", "joined by spaces");
	tt_pcap_free(p);

	p = NULL;
	ASSERT_EQ(tt_pcap_compile(3, bad, &p, err, sizeof(err)), -EINVAL, "bad expression");
	ASSERT_TRUE(p == NULL, "bad expression: nothing returned");
	ASSERT_STREQ(err, "pcap-filter 'udp prot 53': can't parse filter expression: syntax error",
		     "libpcap's message");

	/* libpcap refuses `ether` for raw IP: the expression still stands for Ethernet frames */
	ASSERT_OK(tt_pcap_compile(1, ether, &p, err, sizeof(err)), "Ethernet-only expression");
	tt_pcap_free(p);
}
