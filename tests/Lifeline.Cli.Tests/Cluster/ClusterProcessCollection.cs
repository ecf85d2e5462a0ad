namespace Lifeline.Cli.Tests.Cluster;

/// <summary>
/// The tests that start a whole cluster (3 nats-server + 3 <c>lifeline serve</c> processes) run one at a time and alone:
/// six processes per test on a 2-core machine, and a kill in one must not starve another's timeouts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterProcessCollection
{
    public const string Name = "cluster processes";
}
