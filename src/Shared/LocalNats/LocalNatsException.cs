namespace Lifeline.LocalNats;

/// <summary>A local nats-server could not be started or did not join its cluster; the message is one line.</summary>
internal sealed class LocalNatsException : Exception
{
    public LocalNatsException(string message)
        : base(message)
    {
    }

    public LocalNatsException()
    {
    }

    public LocalNatsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
