package model

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Pod names and zones cost memory per endpoint: a conversion keeps only what it is asked.
func TestEndpointSliceConverter(t *testing.T) {
	zone, host := "US-West-2a", ""
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "s", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "svc"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, Hostname: &host, Zone: &zone,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "Pod-A"}}},
	}
	for _, tc := range []struct {
		podNames, zones bool
		pod, zone       string
	}{
		{false, false, "", ""},
		{true, false, "pod-a", ""},
		{false, true, "", "us-west-2a"},
		{true, true, "pod-a", "us-west-2a"},
	} {
		e := EndpointSliceConverter(tc.podNames, tc.zones)(s).Endpoints[0]
		if e.Pod() != tc.pod || e.Zone() != tc.zone {
			t.Errorf("podNames %t zones %t: pod %q zone %q, want %q %q", tc.podNames, tc.zones, e.Pod(), e.Zone(), tc.pod, tc.zone)
		}
	}
	if e := EndpointSliceFromAPI(s).Endpoints[0]; e.Pod() != "" || e.Zone() != "" {
		t.Errorf("EndpointSliceFromAPI kept pod %q zone %q", e.Pod(), e.Zone())
	}
}
