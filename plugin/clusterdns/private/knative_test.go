package private

import (
	"slices"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
)

func knativeHost(ns, name, host string, clusterLocal bool) *model.KnativeHost {
	return &model.KnativeHost{Meta: model.Meta{Namespace: ns, Name: name}, Host: host, ClusterLocal: clusterLocal}
}

func TestKnativeSource(t *testing.T) {
	st := model.NewStore()
	st.UpsertService(gatewayService("kourier-system", "kourier", "10.96.0.20", nil, "10.128.2.1"))
	st.UpsertService(gatewayService("kourier-system", "kourier-internal", "10.96.0.21", nil))
	st.UpsertKnativeRoute(knativeHost("shop", "hello", "hello.shop.apps.internal.", false))
	st.UpsertKnativeRoute(knativeHost("shop", "private", "private.shop.apps.internal.", true))
	st.UpsertKnativeRoute(knativeHost("shop", "pending", "", false)) // no status.url yet
	st.UpsertKnativeRoute(knativeHost("shop", "svc", "svc.shop.svc.cluster.local.", true))
	st.UpsertKnativeRoute(&model.KnativeHost{Meta: model.Meta{Namespace: "shop", Name: "bad"}, Invalid: "http://bad_host!.shop.apps.internal"})
	st.UpsertDomainMapping(knativeHost("blog", "blog.apps.internal", "blog.apps.internal.", false))

	for _, tc := range []struct {
		name     string
		src      Sources
		want     []string
		problems []string
	}{
		{
			name: "off",
			src:  Sources{Zone: "apps.internal.", TTL: 30},
		},
		{
			name: "the gateway's addresses",
			src:  Sources{Zone: "apps.internal.", TTL: 30, Knative: model.Key{Namespace: "kourier-system", Name: "kourier"}},
			want: []string{
				"inside DomainMapping blog/blog.apps.internal blog.apps.internal. 30 IN A 10.96.0.20",
				"inside Route shop/hello hello.shop.apps.internal. 30 IN A 10.96.0.20",
				"inside Route shop/private private.shop.apps.internal. 30 IN A 10.96.0.20",
				"outside DomainMapping blog/blog.apps.internal blog.apps.internal. 30 IN A 10.128.2.1",
				"outside Route shop/hello hello.shop.apps.internal. 30 IN A 10.128.2.1",
			},
			problems: []string{`Route shop/bad: host "http://bad_host!.shop.apps.internal" is not a DNS name: skipped`},
		},
		{
			name: "a local gateway for pods",
			src: Sources{Zone: "apps.internal.", TTL: 30, Namespaces: model.Namespaces{"shop": true},
				Knative: model.Key{Namespace: "kourier-system", Name: "kourier"}, KnativeLocal: model.Key{Namespace: "kourier-system", Name: "kourier-internal"}},
			want: []string{
				"inside Route shop/hello hello.shop.apps.internal. 30 IN A 10.96.0.21",
				"inside Route shop/private private.shop.apps.internal. 30 IN A 10.96.0.21",
				"outside Route shop/hello hello.shop.apps.internal. 30 IN A 10.128.2.1",
			},
			problems: []string{`Route shop/bad: host "http://bad_host!.shop.apps.internal" is not a DNS name: skipped`},
		},
		{
			name: "a gateway without a load balancer serves pods only",
			src:  Sources{Zone: "apps.internal.", TTL: 30, Namespaces: model.Namespaces{"blog": true}, Knative: model.Key{Namespace: "kourier-system", Name: "kourier-internal"}},
			want: []string{"inside DomainMapping blog/blog.apps.internal blog.apps.internal. 30 IN A 10.96.0.21"},
			problems: []string{
				"knative gateway Service kourier-system/kourier-internal has no load balancer or external address: Knative hosts of apps.internal. are served to pods only",
			},
		},
		{
			name:     "a missing gateway",
			src:      Sources{Zone: "apps.internal.", TTL: 30, Namespaces: model.Namespaces{"blog": true}, Knative: model.Key{Namespace: "kourier-system", Name: "nope"}},
			problems: []string{"knative gateway Service kourier-system/nope does not exist: Knative hosts of apps.internal. are not served"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := claims(t, st, &tc.src, knativeSource)
			slices.Sort(problems)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("claims:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if !slices.Equal(problems, tc.problems) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(tc.problems, "\n"))
			}
		})
	}
}
