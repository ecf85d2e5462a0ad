using Microsoft.AspNetCore.SignalR;

namespace Lifeline.Benchmarks.Baselines;

/// <summary>The SignalR baseline's hub: what one client publishes goes to every client, as the in-box samples do it.</summary>
public sealed class BroadcastHub : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>The client method the broadcast invokes.</summary>
    public const string EntryMethod = "entry";

    /// <summary>Broadcasts <paramref name="message"/> to all clients (the publisher included).</summary>
    public Task Publish(string message) => Clients.All.SendAsync(EntryMethod, message);
}
