namespace Lifeline.Hub.Auth;

/// <summary>Where a node shares revocations: the cluster's engine servers, this node's name, and the bucket's replicas.</summary>
internal sealed record ClusterRevocationSettings(IReadOnlyList<string> Urls, string NodeName, int Replicas);
