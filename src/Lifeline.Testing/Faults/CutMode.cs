namespace Lifeline.Testing.Faults;

/// <summary>How <see cref="FaultProxy.CutAllAsync"/> ends connections.</summary>
public enum CutMode
{
    /// <summary>An abortive close: both peers see a connection reset (TCP RST, via a zero linger time).</summary>
    Reset,

    /// <summary>A clean close: both peers see end of stream (TCP FIN).</summary>
    Close,
}
