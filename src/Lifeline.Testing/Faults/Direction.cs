namespace Lifeline.Testing.Faults;

/// <summary>Which way bytes travel through a <see cref="FaultProxy"/>.</summary>
[Flags]
public enum Direction
{
    /// <summary>Neither direction.</summary>
    None = 0,

    /// <summary>From the client to the upstream server.</summary>
    Upstream = 1,

    /// <summary>From the upstream server to the client.</summary>
    Downstream = 2,

    /// <summary>Both directions.</summary>
    Both = Upstream | Downstream,
}
