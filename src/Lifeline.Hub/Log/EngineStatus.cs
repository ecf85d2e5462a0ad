namespace Lifeline.Hub.Log;

/// <summary>
/// What a cluster node knows of its engine and mirror, for <c>/v1/stats</c> and <c>/healthz</c>. Immutable (a snapshot).
/// </summary>
/// <param name="Node">This node's name (<see cref="HubOptions.ClusterNodeName"/>).</param>
/// <param name="Connected">Whether the node's NATS connection is open now.</param>
/// <param name="StreamLeader">The server leading the stream at the last status check, or <see langword="null"/> when unknown.</param>
/// <param name="FirstSequence">The stream's first retained sequence at the last status check (0 when unknown).</param>
/// <param name="LastSequence">The stream's last sequence: the largest of the last status check and this node's acks.</param>
/// <param name="AppliedSequence">The last stream sequence the mirror applied.</param>
/// <param name="CaughtUp">Whether the node is connected and the mirror applied the stream's last sequence (<c>/healthz</c> answers 200 only then).</param>
/// <param name="RacesLost">How many of this node's appends another node's append preceded (each was rebuilt and appended again).</param>
internal sealed record EngineStatus(string Node, bool Connected, string? StreamLeader, long FirstSequence, long LastSequence, long AppliedSequence, bool CaughtUp, long RacesLost)
{
    /// <summary>The engine servers the node knows: its configured ones, then those the connected server advertised.</summary>
    public IReadOnlyList<string> Servers { get; init; } = [];

    /// <summary>The <c>server_name</c> of the server the connection is open to, or <see langword="null"/> when not connected.</summary>
    public string? ConnectedServer { get; init; }

    /// <summary>The URL (one of <see cref="Servers"/>) of the server the connection is open to, or <see langword="null"/> when not connected.</summary>
    public string? ConnectedUrl { get; init; }
}
