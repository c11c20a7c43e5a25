package deploy

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// typed converts the object of that kind and name into out, failing the test if missing.
func typed(t *testing.T, objs []*unstructured.Unstructured, kind, name string, out any) {
	t.Helper()
	o := find(objs, kind, name)
	if o == nil {
		t.Fatalf("no %s %s", kind, name)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, out); err != nil {
		t.Fatal(err)
	}
}

// internalLB is the annotation each overlay must set on the peered Service.
var internalLB = map[string][2]string{
	"deploy/overlays/gke": {"networking.gke.io/load-balancer-type", "Internal"},
	"deploy/overlays/eks": {"service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"},
	"deploy/overlays/aks": {"service.beta.kubernetes.io/azure-load-balancer-internal", "true"},
}

// What the dry run cannot see: Services and budgets select the pods, ports exist, the pod
// runs locked down with the shipped Corefile, and each overlay does what it says.
func TestManifestsConsistent(t *testing.T) {
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			objs := build(t, dir)
			var d appsv1.Deployment
			typed(t, objs, "Deployment", "clusterdns", &d)
			pod := labels.Set(d.Spec.Template.Labels)
			if sel := labels.SelectorFromSet(d.Spec.Selector.MatchLabels); !sel.Matches(pod) {
				t.Errorf("Deployment selector %v does not match its pods %v", sel, pod)
			}
			checkPod(t, d.Spec.Template.Spec)
			if d.Labels["k8s-app"] != "" {
				t.Error("the Deployment carries k8s-app: kubeadm would find two DNS add-ons beside CoreDNS's")
			}
			if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
				t.Errorf("Deployment replicas %v: want at least 2 from the start", d.Spec.Replicas)
			}
			var pdb policyv1.PodDisruptionBudget
			typed(t, objs, "PodDisruptionBudget", "clusterdns", &pdb)
			if !labels.SelectorFromSet(pdb.Spec.Selector.MatchLabels).Matches(pod) || pdb.Spec.MaxUnavailable.IntValue() != 1 {
				t.Errorf("PodDisruptionBudget %v does not cover the pods one at a time", pdb.Spec)
			}
			if _, ok := pdb.Spec.Selector.MatchLabels["k8s-app"]; ok {
				t.Error("PodDisruptionBudget selects k8s-app: it would overlap CoreDNS's budget")
			}

			var cm corev1.ConfigMap
			typed(t, objs, "ConfigMap", "clusterdns", &cm)
			for key, data := range cm.Data {
				if b, err := os.ReadFile(filepath.Join(root(), "deploy/base", key)); err != nil || string(b) != data {
					t.Errorf("ConfigMap key %s is not deploy/base/%s (%v)", key, key, err)
				}
			}
			// every server block's port is a container port, in UDP and TCP
			for _, m := range regexp.MustCompile(`(?m)^\.:(\d+) \{`).FindAllStringSubmatch(cm.Data["Corefile"], -1) {
				p, _ := strconv.Atoi(m[1])
				for _, proto := range []corev1.Protocol{corev1.ProtocolUDP, corev1.ProtocolTCP} {
					if !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports, func(cp corev1.ContainerPort) bool {
						return int(cp.ContainerPort) == p && cp.Protocol == proto
					}) {
						t.Errorf("Corefile listens on %d, no %s container port", p, proto)
					}
				}
			}

			for _, o := range objs {
				if o.GetKind() != "Service" {
					continue
				}
				var s corev1.Service
				typed(t, objs, "Service", o.GetName(), &s)
				checkService(t, s, d.Spec.Template)
			}
			var kubeDNS, peered corev1.Service
			if dir == "deploy/overlays/gke" || dir == "deploy/overlays/aks" {
				if find(objs, "Service", "kube-dns") != nil {
					t.Error("the cloud's own kube-dns Service is managed by the cloud: do not apply one")
				}
			} else {
				typed(t, objs, "Service", "kube-dns", &kubeDNS)
				if kubeDNS.Labels["k8s-app"] != "kube-dns" || kubeDNS.Labels["kubernetes.io/name"] != "CoreDNS" ||
					!reflect.DeepEqual(kubeDNS.Spec.Selector, map[string]string{"k8s-app": "kube-dns"}) {
					t.Errorf("kube-dns Service labels %v selector %v: not CoreDNS's", kubeDNS.Labels, kubeDNS.Spec.Selector)
				}
				if want := map[string]string{"deploy/overlays/kind": "10.96.0.10"}[dir]; kubeDNS.Spec.ClusterIP != want {
					t.Errorf("kube-dns clusterIP %q, want %q", kubeDNS.Spec.ClusterIP, want)
				}
			}
			if dir == "deploy/overlays/aks" && pod["k8s-app"] != "" {
				t.Error("on AKS the pods must not join AKS's kube-dns Service")
			}
			typed(t, objs, "Service", "clusterdns-peered", &peered)
			if peered.Spec.Type != corev1.ServiceTypeLoadBalancer || peered.Spec.Selector["k8s-app"] != "" {
				t.Errorf("peered Service %v: want a LoadBalancer selecting clusterdns only", peered.Spec)
			}
			if a, ok := internalLB[dir]; ok && peered.Annotations[a[0]] != a[1] {
				t.Errorf("peered Service annotations %v, want %s: %s", peered.Annotations, a[0], a[1])
			}

			// the autoscaler scales this Deployment, with its own ConfigMap, at least 2
			var cpa appsv1.Deployment
			typed(t, objs, "Deployment", "clusterdns-autoscaler", &cpa)
			checkPodSecurity(t, cpa.Spec.Template.Spec)
			args := cpa.Spec.Template.Spec.Containers[0].Command
			var params corev1.ConfigMap
			typed(t, objs, "ConfigMap", "clusterdns-autoscaler", &params)
			if !slices.Contains(args, "--target=Deployment/clusterdns") || !slices.Contains(args, "--configmap=clusterdns-autoscaler") ||
				!regexp.MustCompile(`"min":\s*[2-9]`).MatchString(params.Data["linear"]) {
				t.Errorf("autoscaler %v with %v: want Deployment/clusterdns, its ConfigMap, min >= 2", args, params.Data)
			}
		})
	}
}

func checkPod(t *testing.T, p corev1.PodSpec) {
	t.Helper()
	checkPodSecurity(t, p)
	if p.ServiceAccountName != "clusterdns" || p.PriorityClassName != "system-cluster-critical" || p.DNSPolicy != corev1.DNSDefault {
		t.Errorf("pod: serviceAccount %q priorityClass %q dnsPolicy %q", p.ServiceAccountName, p.PriorityClassName, p.DNSPolicy)
	}
	c := p.Containers[0]
	if !reflect.DeepEqual(c.Args, []string{"-conf", "/etc/coredns/Corefile"}) {
		t.Errorf("args %v", c.Args)
	}
	if caps := c.SecurityContext.Capabilities; !reflect.DeepEqual(caps.Add, []corev1.Capability{"NET_BIND_SERVICE"}) {
		t.Errorf("capabilities added %v, want NET_BIND_SERVICE only", caps.Add)
	}
	if c.LivenessProbe.HTTPGet.Path != "/health" || c.LivenessProbe.HTTPGet.Port.IntValue() != 8080 ||
		c.ReadinessProbe.HTTPGet.Path != "/ready" || c.ReadinessProbe.HTTPGet.Port.IntValue() != 8181 {
		t.Errorf("probes: liveness %v readiness %v", c.LivenessProbe.HTTPGet, c.ReadinessProbe.HTTPGet)
	}
	if _, ok := c.Resources.Limits[corev1.ResourceCPU]; ok || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Errorf("resources %v: want memory request and limit, no CPU limit", c.Resources)
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		for _, v := range p.Volumes {
			mounted = mounted || m.Name == v.Name && m.MountPath == "/etc/coredns" && v.ConfigMap != nil && v.ConfigMap.Name == "clusterdns"
		}
	}
	if !mounted {
		t.Error("ConfigMap clusterdns is not mounted at /etc/coredns")
	}
	if p.Affinity == nil || p.Affinity.PodAntiAffinity == nil ||
		p.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.TopologyKey != "kubernetes.io/hostname" {
		t.Error("no preferred anti-affinity across nodes")
	}
}

// checkPodSecurity: non-root, read-only, no privilege escalation, no capability but
// NET_BIND_SERVICE, the runtime's seccomp profile.
func checkPodSecurity(t *testing.T, p corev1.PodSpec) {
	t.Helper()
	ps := p.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0 ||
		ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %v", ps)
	}
	for _, c := range p.Containers {
		cs := c.SecurityContext
		if cs == nil || cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem || cs.AllowPrivilegeEscalation == nil ||
			*cs.AllowPrivilegeEscalation || cs.Capabilities == nil || !reflect.DeepEqual(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
			slices.ContainsFunc(cs.Capabilities.Add, func(c corev1.Capability) bool { return c != "NET_BIND_SERVICE" }) {
			t.Errorf("container %s securityContext %v", c.Name, cs)
		}
	}
}

// checkService: the Service selects the pods and each target port is one of theirs.
func checkService(t *testing.T, s corev1.Service, pod corev1.PodTemplateSpec) {
	t.Helper()
	if !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(pod.Labels)) {
		t.Errorf("Service %s selects %v, pods are %v", s.Name, s.Spec.Selector, pod.Labels)
	}
	for _, sp := range s.Spec.Ports {
		if !slices.ContainsFunc(pod.Spec.Containers[0].Ports, func(cp corev1.ContainerPort) bool {
			return cp.Protocol == sp.Protocol && (cp.Name == sp.TargetPort.String() || int(cp.ContainerPort) == sp.TargetPort.IntValue())
		}) {
			t.Errorf("Service %s port %s targets %s/%s, which the pods do not expose", s.Name, sp.Name, sp.TargetPort.String(), sp.Protocol)
		}
	}
}
