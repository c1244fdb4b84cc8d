// Package manifests holds Ringleader's Kubernetes manifests (a 3-node ringd
// StatefulSet with its Services and PodDisruptionBudget, applied with
// `kubectl apply -k manifests/`) and examples (the topology, an Argo CD
// ApplicationSet with a ring label per region). It has no Go code: its
// tests decode every document with the Kubernetes API types, unknown fields
// refused, and check the properties the coordinator relies on.
package manifests
