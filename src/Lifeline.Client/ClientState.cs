namespace Lifeline.Client;

/// <summary>The state of a <see cref="LifelineClient"/>. See docs/client.md for the state machine.</summary>
public enum ClientState
{
    /// <summary>Not started yet, or stopped (terminal once <see cref="LifelineClient.StopAsync"/> has run).</summary>
    Stopped,

    /// <summary>A connect attempt (handshake, then <see cref="LifelineClientOptions.OnConnected"/>) is in progress.</summary>
    Connecting,

    /// <summary>Connected; <see cref="LifelineClientOptions.OnConnected"/> has finished and buffered sends flow.</summary>
    Connected,

    /// <summary>Waiting out a backoff delay before the next connect attempt.</summary>
    Reconnecting,

    /// <summary><see cref="LifelineClient.StopAsync"/> is ending the connection and every loop.</summary>
    Stopping,

    /// <summary>Gave up reconnecting (fatal error, policy or attempt limit); see <see cref="LifelineClient.Fault"/>. Call <see cref="LifelineClient.StopAsync"/> to release it.</summary>
    Faulted,
}
