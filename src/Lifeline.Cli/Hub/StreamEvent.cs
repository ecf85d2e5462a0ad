namespace Lifeline.Cli.Hub;

/// <summary>What a subscription yields: entries, and the connection and gap notices that go to standard error.</summary>
internal abstract record StreamEvent
{
    /// <summary>One entry, id strictly larger than every one yielded before it.</summary>
    public sealed record Entry(StreamEntry Value) : StreamEvent;

    /// <summary>Connected: <paramref name="LastId"/> is the newest id in the hub's store; <paramref name="Resumed"/> after a reconnect.</summary>
    public sealed record Connected(long LastId, long? After, bool Resumed) : StreamEvent;

    /// <summary>Catch-up from the store has reached the live stream.</summary>
    public sealed record Live(long LastId) : StreamEvent;

    /// <summary>The hub says entries in <paramref name="FromId"/>..<paramref name="ToId"/> will never be sent.</summary>
    public sealed record Gap(long FromId, long ToId, string Reason) : StreamEvent;

    /// <summary>The hub's newest id is below our position: its store restarted empty; following from its start.</summary>
    public sealed record Reset(long HubLastId, long Position) : StreamEvent;

    /// <summary>The connection was lost; the next attempt starts after <paramref name="Delay"/>.</summary>
    public sealed record Disconnected(string Reason, int Attempt, TimeSpan Delay) : StreamEvent;
}
