package integration

import (
	"context"
	"testing"

	"github.com/clusterdns/clusterdns/test/k8senv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestCRDsFromModules installs every CRD the tests use from its project's pinned module and
// lists one resource of each: a version bump that moves a file fails here first.
func TestCRDsFromModules(t *testing.T) {
	e := k8senv.Get(t)
	e.InstallCRDs(t, k8senv.GatewayAPI, "config/crd/standard/gateway.networking.k8s.io_gateway*.yaml", "config/crd/standard/gateway.networking.k8s.io_*routes.yaml",
		"config/crd/experimental/gateway.networking.k8s.io_tcproutes.yaml", "config/crd/experimental/gateway.networking.k8s.io_udproutes.yaml")
	e.InstallCRDs(t, k8senv.ExternalDNS, "config/crd/standard/dnsendpoints.externaldns.k8s.io.yaml")
	e.InstallCRDs(t, k8senv.IstioAPI, "kubernetes/customresourcedefinitions.gen.yaml")
	e.InstallCRDs(t, k8senv.KnativeServing, "config/core/300-resources/route.yaml", "config/core/300-resources/domain-mapping.yaml")
	dyn := e.Dynamic(t)
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"},
		{Group: "gateway.networking.k8s.io", Version: "v1alpha2", Resource: "tcproutes"},
		{Group: "externaldns.k8s.io", Version: "v1alpha1", Resource: "dnsendpoints"},
		{Group: "networking.istio.io", Version: "v1", Resource: "serviceentries"},
		{Group: "serving.knative.dev", Version: "v1", Resource: "routes"},
		{Group: "serving.knative.dev", Version: "v1beta1", Resource: "domainmappings"},
	} {
		if _, err := dyn.Resource(gvr).Namespace("default").List(context.Background(), metav1.ListOptions{}); err != nil {
			t.Errorf("%s: %v", gvr, err)
		}
	}
}
