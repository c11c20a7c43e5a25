package clusterdns

import "github.com/clusterdns/clusterdns/plugin/clusterdns/private"

// nodePorts reports whether a private zone of the block serves NodePort records: its
// source then keeps the node of each endpoint (externalTrafficPolicy Local).
func (c *config) nodePorts() bool {
	for _, p := range c.privates {
		if p.NodePorts != private.NodePortsOff {
			return true
		}
	}
	return false
}
