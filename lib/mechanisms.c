// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mechanisms each kernel gets, derived from the same probes and choices the tools use at
 * run time (tsn_proxy_save_hook() and tsn_tc_have_tcx() for the hooks, the kern_ctx and
 * SKB_CLOCK_TAI probes for the save program and the tstamp restore, tt_backend_choose() for
 * the tracer), never restated from kernel versions.
 */
#include <stdbool.h>
#include <stdio.h>

#include "json.h"
#include "kfeatures.h"
#include "mechanisms.h"
#include "proxy.h"
#include "tc.h"
#include "trace_backend.h"

/* "feature: supported|unsupported: reason", the probe behind a choice */
static void feature_why(char *buf, size_t len, enum tsn_feature f)
{
	const struct tsn_feature_status *st = tsn_feature_status(f);

	snprintf(buf, len, "%s: %s: %s", tsn_feature_name(f), st->ok ? "yes" : "no", st->reason);
}

static int add_mechanism(json_object *all, const char *name, const char *uses, const char *why)
{
	json_object *one = json_object_new_object();

	if (!one)
		return -1;
	tsn_json_add_str(one, "uses", uses);
	tsn_json_add_str(one, "why", why);
	return json_object_object_add(all, name, one);
}

/* The tracer: auto's pick and why the richer ones are out; every backend that would load. */
static int add_tracer(json_object *all)
{
	static const enum tt_backend backends[] = {TT_BACKEND_KPROBE_MULTI, TT_BACKEND_FENTRY,
						   TT_BACKEND_TRACEPOINT};
	char msg[600], uses[80] = "", usable[80] = "";
	enum tt_backend got;
	size_t i, off = 0;

	if (tt_backend_choose(TT_BACKEND_AUTO, &got, msg, sizeof(msg)))
		snprintf(uses, sizeof(uses), "none");
	else
		snprintf(uses, sizeof(uses), "%s", tt_backend_name(got));
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		char ignored[300];

		if (tt_backend_choose(backends[i], &got, ignored, sizeof(ignored)))
			continue;
		off += snprintf(usable + off, sizeof(usable) - off, "%s%s", off ? ", " : "",
				tt_backend_name(backends[i]));
		if (off >= sizeof(usable))
			break;
	}
	if (add_mechanism(all, "tracer_backend", uses, msg))
		return -1;
	return add_mechanism(all, "tracer_backends_usable", off ? usable : "none",
			     "each --backend that the kernel loads (tsntrace --backend NAME)");
}

/* What a (resolved) save hook is on this kernel, and the probe that decides it. */
static void save_hook_mechanism(__u32 hook, char *uses, size_t ulen, char *why, size_t wlen)
{
	bool tcx = tsn_tc_have_tcx();

	if (hook == TSN_SAVE_TC) {
		snprintf(uses, ulen, "tc: %s, tags the pod's packets",
			 tcx ? "a tcx link on the pod's interface"
			     : "a clsact filter in the pod's netns");
		feature_why(why, wlen, TSN_FEAT_TCX);
		return;
	}
	snprintf(uses, ulen, "tracepoint: tp_btf/net_dev_start_xmit, headers read with %s",
		 tsn_feature_has(TSN_FEAT_KERN_CTX) ? "plain loads" : "probe reads");
	feature_why(why, wlen, TSN_FEAT_KERN_CTX);
}

json_object *tsn_mechanisms_json(void)
{
	bool tcx = tsn_tc_have_tcx();
	bool tai = tsn_feature_has(TSN_FEAT_SKB_CLOCK_TAI);
	char reg[120], reg_why[200], all_hook[120], all_why[200];
	char tcx_why[200], tai_why[200], timer_why[200];
	const char *restore = tcx ? "tcx link on the NIC's egress" :
				    "clsact filter on the NIC's egress (add clsact before taprio: "
				    "start will not graft it over a taprio root)";
	const char *tai_txtime = tai ? "kept across the veth (tstamp_type TAI)" :
				       "cleared at the veth crossing (no TAI tstamp type); "
				       "--restore tstamp writes it back without a clock type";
	json_object *all = json_object_new_object();

	if (!all)
		return NULL;
	save_hook_mechanism(tsn_proxy_save_hook(TSN_SAVE_AUTO, TSN_MODE_REGISTERED), reg,
			    sizeof(reg), reg_why, sizeof(reg_why));
	save_hook_mechanism(tsn_proxy_save_hook(TSN_SAVE_AUTO, TSN_MODE_ALL), all_hook,
			    sizeof(all_hook), all_why, sizeof(all_why));
	feature_why(tcx_why, sizeof(tcx_why), TSN_FEAT_TCX);
	feature_why(tai_why, sizeof(tai_why), TSN_FEAT_SKB_CLOCK_TAI);
	feature_why(timer_why, sizeof(timer_why), TSN_FEAT_BPF_TIMER);
	if (add_mechanism(all, "save_hook_registered", reg, reg_why) ||
	    add_mechanism(all, "save_hook_policy_all", all_hook, all_why) ||
	    add_mechanism(all, "restore_hook", restore, tcx_why) ||
	    add_mechanism(all, "tai_txtime", tai_txtime, tai_why) ||
	    add_mechanism(all, "freshness", "a jiffies stamp checked at restore; no bpf_timer",
			  timer_why) ||
	    add_tracer(all)) {
		json_object_put(all);
		return NULL;
	}
	return all;
}

/*
 * What the restore does with encapsulated packets, whatever the kernel (progs/tsn_tunnel.bpf.h,
 * docs/datapaths.md): listed with the kernel's features, in their shape, so that a user looking
 * for why an overlay's packets are not restored finds it there.
 */
static const struct {
	const char *name;
	bool supported;
	const char *reason;
} restore_features[] = {
	{ "tunnel_restore", true,
	  "the restore fingerprints the packet inside VXLAN (UDP 4789, 8472), Geneve (UDP 6081), "
	  "IPIP, IPv6 in IPv4, IPv4 in IPv6 and GRE (IP or Ethernet inside), outer IPv4 or IPv6" },
	{ "encrypted_tunnel_restore", false,
	  "WireGuard and IPsec ESP encrypt the pod's packet: nothing at the NIC can fingerprint it" },
};

int tsn_restore_features_add(json_object *features)
{
	size_t i;

	for (i = 0; i < sizeof(restore_features) / sizeof(restore_features[0]); i++) {
		if (tsn_features_json_add(features, restore_features[i].name,
					  restore_features[i].supported, restore_features[i].reason))
			return -1;
	}
	return 0;
}
