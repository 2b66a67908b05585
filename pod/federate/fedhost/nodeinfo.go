package fedhost

import (
	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/models"
)

// NodeInfoSoftware is what the pod says about itself in NodeInfo.
type NodeInfoSoftware struct {
	Name              string // ^[a-z0-9-]+$, e.g. "aspen"
	Version           string
	Repository        string // 2.1 only; omitted when empty
	Homepage          string // 2.1 only; omitted when empty
	NodeName          string // metadata.nodeName; omitted when empty
	OpenRegistrations bool
	// NodeDescription is metadata.nodeDescription (the admins' description
	// of the pod); omitted when empty.
	NodeDescription string
}

// NodeInfoVersion reports whether a NodeInfo version is served: 2.0 and 2.1
// (1.0 cannot be valid for new software, §1.5).
func NodeInfoVersion(version string) bool {
	return version == "2.0" || version == "2.1"
}

// NodeInfo returns the NodeInfo document of the given version (2.0 or 2.1)
// with protocols ["diaspora"], checked against the schema.
func NodeInfo(version string, sw NodeInfoSoftware, u models.PodUsage) ([]byte, error) {
	return discovery.BuildNodeInfo(version, discovery.NodeInfoInput{
		SoftwareName:      sw.Name,
		SoftwareVersion:   sw.Version,
		Repository:        sw.Repository,
		Homepage:          sw.Homepage,
		OpenRegistrations: sw.OpenRegistrations,
		Users: discovery.UsageUsers{
			Total:          &u.Users,
			ActiveHalfyear: &u.ActiveHalfyear,
			ActiveMonth:    &u.ActiveMonth,
		},
		LocalPosts:    &u.LocalPosts,
		LocalComments: &u.LocalComments,
		NodeName:      sw.NodeName,
		Metadata:      nodeInfoMetadata(sw),
	})
}

func nodeInfoMetadata(sw NodeInfoSoftware) map[string]any {
	if sw.NodeDescription == "" {
		return nil
	}
	return map[string]any{"nodeDescription": sw.NodeDescription}
}

// NodeInfoContentType is the content type of a NodeInfo document of the
// given version (with its schema as profile parameter).
func NodeInfoContentType(version string) string {
	return discovery.NodeInfoContentType(version)
}

// WellKnownNodeInfo returns the /.well-known/nodeinfo document linking the
// 2.0 and 2.1 documents.
func WellKnownNodeInfo(baseURL string) []byte {
	return discovery.WellKnownNodeInfo(PodURL(baseURL))
}
