package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/test/k8senv"

	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// access is one `kubectl auth can-i` question: VERB RESOURCE[/SUBRESOURCE] in GROUP, in a
// namespace ("" for all namespaces, or cluster-scoped resources), by NAME or any.
type access struct {
	verb, group, resource, namespace, name string
}

// The RBAC objects of deploy/base, applied for real, grant each service account what it
// needs and nothing more, as the API server's authorizer answers for it.
func TestRBAC(t *testing.T) {
	e := k8senv.Get(t)
	dyn, mapper := dynamicClient(t, e)
	for _, o := range build(t, "deploy/base") {
		switch o.GetKind() {
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			res, err := resource(dyn, mapper, o)
			if err != nil {
				t.Fatal(err)
			}
			apply(t, res, o)
		}
	}
	const sys = "kube-system"
	check(t, e, "clusterdns", true,
		access{"list", "", "services", "", ""},
		access{"watch", "", "services", "", ""},
		access{"list", "discovery.k8s.io", "endpointslices", "", ""},
		access{"watch", "discovery.k8s.io", "endpointslices", "", ""},
		access{"list", "", "namespaces", "", ""},
		access{"watch", "", "namespaces", "", ""},
		access{"list", "networking.k8s.io", "ingresses", "", ""},
		access{"watch", "networking.k8s.io", "ingresses", "", ""},
		access{"list", "networking.istio.io", "virtualservices", "", ""},
		access{"watch", "networking.istio.io", "virtualservices", "", ""},
		access{"list", "multicluster.x-k8s.io", "serviceimports", "", ""},
		access{"watch", "multicluster.x-k8s.io", "serviceimports", "", ""},
		// istio and knative private zones
		access{"list", "networking.istio.io", "gateways", "", ""},
		access{"watch", "networking.istio.io", "serviceentries", "", ""},
		access{"list", "serving.knative.dev", "routes", "", ""},
		access{"watch", "serving.knative.dev", "domainmappings", "", ""},
		access{"list", "gateway.networking.k8s.io", "httproutes", "", ""},
		access{"watch", "gateway.networking.k8s.io", "listenersets", "", ""},
		access{"list", "gateway.networking.k8s.io", "gatewayclasses", "", ""},
		access{"watch", "gateway.networking.k8s.io", "udproutes", "", ""},
		access{"list", "externaldns.k8s.io", "dnsendpoints", "", ""},
		access{"watch", "externaldns.k8s.io", "dnsendpoints", "", ""},
		// peer: the local cluster's exports
		access{"list", "multicluster.x-k8s.io", "serviceexports", "", ""},
		access{"watch", "multicluster.x-k8s.io", "serviceexports", "", ""},
	)
	check(t, e, "clusterdns", false,
		access{"get", "", "secrets", "", ""},
		access{"get", "", "secrets", sys, ""},
		access{"list", "", "secrets", sys, ""},
		access{"list", "", "pods", "", ""},
		access{"watch", "", "pods", "", ""},
		access{"create", "", "services", sys, ""},
		access{"update", "", "services", sys, "kube-dns"},
		access{"delete", "", "services", sys, "kube-dns"},
		access{"patch", "discovery.k8s.io", "endpointslices", sys, ""},
		access{"list", "", "configmaps", "", ""},
		access{"get", "", "configmaps", sys, "clusterdns"},
		access{"watch", "", "nodes", "", ""},
		access{"update", "networking.k8s.io", "ingresses", "", ""},
		access{"create", "multicluster.x-k8s.io", "serviceimports", "", ""},
		access{"patch", "networking.istio.io", "gateways", "", ""},
		access{"list", "networking.istio.io", "envoyfilters", "", ""},
		access{"update", "serving.knative.dev", "routes", "", ""},
		access{"update", "gateway.networking.k8s.io", "gateways", "", ""},
		access{"update", "externaldns.k8s.io", "dnsendpoints/status", "", ""},
		access{"create", "multicluster.x-k8s.io", "serviceexports", "", ""},
	)
	check(t, e, "clusterdns-autoscaler", true,
		access{"list", "", "nodes", "", ""},
		access{"watch", "", "nodes", "", ""},
		access{"get", "apps", "deployments/scale", sys, "clusterdns"},
		access{"update", "apps", "deployments/scale", sys, "clusterdns"},
		access{"get", "", "configmaps", sys, "clusterdns-autoscaler"},
	)
	check(t, e, "clusterdns-autoscaler", false,
		access{"update", "apps", "deployments/scale", sys, "coredns"},
		access{"update", "apps", "deployments", sys, "clusterdns"},
		access{"get", "", "configmaps", sys, "clusterdns"},
		access{"create", "", "configmaps", sys, ""},
		access{"get", "", "secrets", sys, ""},
		access{"list", "", "pods", "", ""},
		access{"update", "", "nodes", "", ""},
	)
}

// check asks the API server, as admin, whether kube-system's service account sa may do each
// thing: the SubjectAccessReview `kubectl auth can-i --as=system:serviceaccount:...` sends,
// with the groups every service account has.
func check(t *testing.T, e *k8senv.Env, sa string, want bool, as ...access) {
	t.Helper()
	for _, a := range as {
		res, sub, _ := strings.Cut(a.resource, "/")
		r, err := e.Client.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authzv1.SubjectAccessReview{
			Spec: authzv1.SubjectAccessReviewSpec{
				User:   "system:serviceaccount:kube-system:" + sa,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
				ResourceAttributes: &authzv1.ResourceAttributes{
					Verb: a.verb, Group: a.group, Resource: res, Subresource: sub, Namespace: a.namespace, Name: a.name,
				},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status.Allowed != want {
			t.Errorf("%s: %v, want allowed=%v (%s)", sa, a, want, r.Status.Reason)
		}
	}
}
