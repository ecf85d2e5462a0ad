namespace Lifeline.Client;

/// <summary>What <see cref="LifelineClient.StopAsync"/> did. When it returns, every task, timer and socket of the client has ended either way.</summary>
public sealed class StopReport
{
    internal StopReport(ClientState stateAtStop, bool closedGracefully, bool deadlineReached, int abandonedSends, IReadOnlyList<string> abandoned)
    {
        StateAtStop = stateAtStop;
        ClosedGracefully = closedGracefully;
        DeadlineReached = deadlineReached;
        AbandonedSends = abandonedSends;
        Abandoned = abandoned;
    }

    /// <summary>The state the client was in when the stop began.</summary>
    public ClientState StateAtStop { get; }

    /// <summary>Whether an open connection was closed with a completed close handshake (false if there was none to close).</summary>
    public bool ClosedGracefully { get; }

    /// <summary>Whether the stop token (or <see cref="LifelineClientOptions.CloseTimeout"/>) cut the graceful part short, so the socket was aborted.</summary>
    public bool DeadlineReached { get; }

    /// <summary>Messages that ended as <see cref="SendStatus.Failed"/> because of the stop (buffered or being written).</summary>
    public int AbandonedSends { get; }

    /// <summary>One line per piece of work the stop cut short (a connect attempt, a backoff wait, a stalled send, the close handshake).</summary>
    public IReadOnlyList<string> Abandoned { get; }

    /// <inheritdoc />
    public override string ToString() => Abandoned.Count == 0
        ? $"stopped from {StateAtStop}, graceful={ClosedGracefully}"
        : $"stopped from {StateAtStop}, graceful={ClosedGracefully}, abandoned: {string.Join("; ", Abandoned)}";
}
