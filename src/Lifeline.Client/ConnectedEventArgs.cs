namespace Lifeline.Client;

/// <summary>Raised once a connection is up and <see cref="LifelineClientOptions.OnConnected"/> has finished.</summary>
public sealed class ConnectedEventArgs : EventArgs
{
    internal ConnectedEventArgs(long epoch, int attempts, Uri uri)
    {
        Epoch = epoch;
        Attempts = attempts;
        Uri = uri;
    }

    /// <summary>The connection number: 1 for the first, then one more per reconnect.</summary>
    public long Epoch { get; }

    /// <summary>How many connect attempts this connection took (1 when the first attempt succeeded).</summary>
    public int Attempts { get; }

    /// <summary>The URI it connected to.</summary>
    public Uri Uri { get; }

    /// <summary>Whether this is a reconnect (<see cref="Epoch"/> greater than 1).</summary>
    public bool IsReconnect => Epoch > 1;
}
