// Package workitem holds work items and their status lifecycle DRAFT <-> ACTIVE <-> COMPLETED,
// their metadata (optimistic concurrency by version) and their links to documents.
//
// It asks the workspace module for permissions (authz.Authorizer), whether a user is a member
// (MemberChecker) and whether a document exists (DocumentLookup) through ports it declares here.
package workitem
