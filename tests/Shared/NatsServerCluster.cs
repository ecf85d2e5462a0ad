using Lifeline.LocalNats;

namespace Lifeline.Tests.Shared;

/// <summary>
/// The tests' JetStream cluster: <see cref="LocalNatsCluster"/> (src/Shared/LocalNats, the same starter as
/// <c>lifeline cluster-demo</c>) with nats-server found as the tests find every external program.
/// </summary>
internal static class NatsServerCluster
{
    /// <summary>Overrides where nats-server is found (else PATH).</summary>
    public const string ServerVariable = LocalNatsCluster.ServerVariable;

    /// <summary>
    /// Starts <paramref name="servers"/> nats-server processes with JetStream, routed to each other, and waits until
    /// every one knows the meta leader. Fails the test with one line when nats-server is not installed.
    /// </summary>
    public static Task<LocalNatsCluster> StartAsync(int servers = 3) =>
        LocalNatsCluster.StartAsync(FindServer(), servers);

    /// <summary>The nats-server to run, or the test fails with one line saying how to install it.</summary>
    public static string FindServer() => RequiredTool.Find(ServerVariable, "apt-get install nats-server", "nats-server");
}
