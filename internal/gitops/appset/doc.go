// Package appset edits Argo CD ApplicationSets for the applicationSetElement
// promotion target: it sets one field (typically targetRevision) of the
// list-generator element whose key field (region, or another such as
// cluster) matches, adding the field when the element has none. The document is decoded and
// checked with Argo CD's own v1alpha1 types, then changed by replacing only
// the bytes of that one scalar, so comments and formatting survive.
//
// This is the only package of Ringleader besides regions/argocd that imports
// argo-cd; cmd/ringd passes Edit to gitops.Config.EditApplicationSet.
package appset
