namespace Lifeline.Testing.Faults;

/// <summary>How a <see cref="FaultProxy"/> treats new connections.</summary>
public enum RefusalMode
{
    /// <summary>New connections are accepted and forwarded (the default).</summary>
    None,

    /// <summary>New connections are accepted and immediately reset: the client connects, then sees a reset.</summary>
    Reset,

    /// <summary>The proxy stops listening: connecting fails with "connection refused". Its port stays reserved for it.</summary>
    StopListening,
}
