namespace Lifeline.Hub.Client.Shipping;

/// <summary>Creates the publisher the shipper uses: the typed hub publisher over <c>/v1/ingest</c>.</summary>
internal static class HubBatchPublisher
{
    public static ILogBatchPublisher Create(LogShippingOptions options) => throw new NotSupportedException("pending Lifeline.Client");
}
