using Microsoft.AspNetCore.SignalR;

namespace Lifeline.Benchmarks.Baselines;

/// <summary>The SignalR baseline's hub: what one client publishes goes to every other client (the publisher is not a subscriber, as on the Lifeline hub).</summary>
public sealed class BroadcastHub : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>The client method the broadcast invokes.</summary>
    public const string EntryMethod = "entry";

    /// <summary>Broadcasts <paramref name="message"/> to every client but the caller.</summary>
    public Task Publish(string message) => Clients.Others.SendAsync(EntryMethod, message);
}
