"""Every Kafka client of a service, the topic admin included, connects the way the settings say."""

from __future__ import annotations

import ssl

from aiokafka.admin import AIOKafkaAdminClient

from denialops_shared.kafka import admin_security
from denialops_shared.settings import ServiceSettings


def test_a_plaintext_cluster_needs_nothing() -> None:
    assert admin_security(ServiceSettings()) == {}


async def test_the_topic_admin_uses_sasl_ssl_with_scram_in_production() -> None:
    settings = ServiceSettings(
        environment="production",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="denialops",
        kafka_sasl_password="kafka-pw-1",
        mongodb_uri="mongodb://u:p@db.internal:27017/?tls=true",
    )
    options = admin_security(settings)
    assert (options["security_protocol"], options["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("denialops", "kafka-pw-1")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    admin = AIOKafkaAdminClient(bootstrap_servers="127.0.0.1:1", **options)  # aiokafka accepts them as given
    assert admin._client._security_protocol == "SASL_SSL"
    await admin.close()
