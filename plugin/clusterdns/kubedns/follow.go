package kubedns

import (
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/stub"
)

// Follower returns the stub zones of the kube-dns ConfigMap at path as a stub.Set follows
// them: Watch, polling every interval. It lives here, not in stub, because this package
// reads stub.Config.
func Follower(path string, interval time.Duration) *stub.Follower {
	return &stub.Follower{
		Name: "stubdomains " + path,
		Follow: func(update func([]*stub.Config)) (func(), error) {
			w, err := Watch(path, interval, func(cfg *Config) { update(cfg.Stubs) })
			if err != nil {
				return nil, err
			}
			return w.Stop, nil
		},
	}
}
