namespace Lifeline.Hub.Client.Shipping;

/// <summary>Creates the publisher the shipper uses: a <see cref="LifelineHubClient"/> publishing over <c>/v1/ingest</c>.</summary>
internal static class HubBatchPublisher
{
    public static ILogBatchPublisher Create(LogShippingOptions options) => new LifelineHubClient(new LifelineHubClientOptions
    {
        Url = options.Url,
        ApiKey = options.ApiKey,
        ClientId = options.ClientId,
        ConfigureClient = client =>
        {
            client.MeterFactory ??= options.MeterFactory;
            options.ConfigureClient?.Invoke(client);
        },
    });
}
