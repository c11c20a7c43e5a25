package model

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Meta is the part of an object's metadata DNS keeps. It implements metav1.Object, through
// which the sources read objects' keys, in 48 bytes instead of metav1.ObjectMeta's 250:
// with one per Service and EndpointSlice that is a sixth of the memory of a large cluster.
// Everything else reads as empty and cannot be set.
type Meta struct {
	Name, Namespace, ResourceVersion string
}

var _ metav1.Object = (*Meta)(nil)

func trimMeta(m *metav1.ObjectMeta) Meta {
	return Meta{Name: m.Name, Namespace: m.Namespace, ResourceVersion: m.ResourceVersion}
}

func (m *Meta) GetNamespace() string                          { return m.Namespace }
func (m *Meta) SetNamespace(namespace string)                 { m.Namespace = namespace }
func (m *Meta) GetName() string                               { return m.Name }
func (m *Meta) SetName(name string)                           { m.Name = name }
func (m *Meta) GetResourceVersion() string                    { return m.ResourceVersion }
func (m *Meta) SetResourceVersion(version string)             { m.ResourceVersion = version }
func (m *Meta) GetGenerateName() string                       { return "" }
func (m *Meta) SetGenerateName(string)                        {}
func (m *Meta) GetUID() types.UID                             { return "" }
func (m *Meta) SetUID(types.UID)                              {}
func (m *Meta) GetGeneration() int64                          { return 0 }
func (m *Meta) SetGeneration(int64)                           {}
func (m *Meta) GetSelfLink() string                           { return "" }
func (m *Meta) SetSelfLink(string)                            {}
func (m *Meta) GetCreationTimestamp() metav1.Time             { return metav1.Time{} }
func (m *Meta) SetCreationTimestamp(metav1.Time)              {}
func (m *Meta) GetDeletionTimestamp() *metav1.Time            { return nil }
func (m *Meta) SetDeletionTimestamp(*metav1.Time)             {}
func (m *Meta) GetDeletionGracePeriodSeconds() *int64         { return nil }
func (m *Meta) SetDeletionGracePeriodSeconds(*int64)          {}
func (m *Meta) GetLabels() map[string]string                  { return nil }
func (m *Meta) SetLabels(map[string]string)                   {}
func (m *Meta) GetAnnotations() map[string]string             { return nil }
func (m *Meta) SetAnnotations(map[string]string)              {}
func (m *Meta) GetFinalizers() []string                       { return nil }
func (m *Meta) SetFinalizers([]string)                        {}
func (m *Meta) GetOwnerReferences() []metav1.OwnerReference   { return nil }
func (m *Meta) SetOwnerReferences([]metav1.OwnerReference)    {}
func (m *Meta) GetManagedFields() []metav1.ManagedFieldsEntry { return nil }
func (m *Meta) SetManagedFields([]metav1.ManagedFieldsEntry)  {}
