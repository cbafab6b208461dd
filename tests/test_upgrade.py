"""A database made by the main before the network layer became its own app migrates with
every row: accounts, webhook events and network versions only change app (their tables are
renamed), so their rows, their history, what points at them and the permissions given on
them all come through."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

# The last migrations of the main before "Networks: the network layer becomes the top-level
# app networks/" (bbd1e4d); the networks app did not exist.
OLD_MAIN = [
    ("publishing", "0008_ical_token_hashed"),
    ("cms", "0003_post_archived"),
    ("inbox", "0002_webhook_event_remote_key"),
    ("networks", None),
]
MOVED_TABLES = {
    "publishing_socialaccount": "networks_socialaccount",
    "publishing_historicalsocialaccount": "networks_historicalsocialaccount",
    "publishing_variant": "cms_variant",
    "inbox_webhookevent": "networks_webhookevent",
    "inbox_webhookitem": "networks_webhookitem",
}
MOVED_CONTENT_TYPES = {
    ("publishing", "socialaccount"): ("networks", "socialaccount"),
    ("publishing", "historicalsocialaccount"): ("networks", "historicalsocialaccount"),
    ("publishing", "variant"): ("cms", "variant"),
    ("inbox", "webhookevent"): ("networks", "webhookevent"),
    ("inbox", "webhookitem"): ("networks", "webhookitem"),
}
# Every table the old main kept this data in, filled below.
FILLED_TABLES = [
    *MOVED_TABLES,
    "publishing_publication",
    "publishing_historicalpublication",
    "publishing_attempt",
    "publishing_broadcastsetup",
    "publishing_historicalbroadcastsetup",
    "publishing_subscriber",
    "publishing_subscriber_themes",
    "publishing_historicalsubscriber",
    "publishing_delivery",
    "cms_post",
]
# Columns of the old main a later migration turned into another (cms/0006: a network
# version's image numbers and alt text lines became its `media`).
CONVERTED = {"image_numbers", "alt_texts"}
ON = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
CREDENTIALS = {
    "x": {"access_token": "x-access-secret", "refresh_token": "x-refresh-secret"},
    "facebook": {"page_token": "fb-page-secret"},
    "whatsapp": {"token": "wa-system-user-secret", "phone_number_id": "4004"},
}


@pytest.fixture(autouse=True)
def _latest_schema_after():
    """Leave the database at the latest migrations, whatever the test migrated to."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(targets):
    """Migrate to targets; the models of the database as it then is."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.migrate(targets).apps


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    return executor.migrate(executor.loader.graph.leaf_nodes()).apps


def fill_old_main(apps):
    """What a running installation of the old main holds, written through its own models."""
    User = apps.get_model("auth", "User")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")
    Territory = apps.get_model("cms", "Territory")
    Theme = apps.get_model("cms", "Theme")
    Post = apps.get_model("cms", "Post")
    SocialAccount = apps.get_model("publishing", "SocialAccount")
    HistoricalSocialAccount = apps.get_model("publishing", "HistoricalSocialAccount")
    Variant = apps.get_model("publishing", "Variant")
    Publication = apps.get_model("publishing", "Publication")
    HistoricalPublication = apps.get_model("publishing", "HistoricalPublication")
    Attempt = apps.get_model("publishing", "Attempt")
    BroadcastSetup = apps.get_model("publishing", "BroadcastSetup")
    HistoricalBroadcastSetup = apps.get_model("publishing", "HistoricalBroadcastSetup")
    Subscriber = apps.get_model("publishing", "Subscriber")
    HistoricalSubscriber = apps.get_model("publishing", "HistoricalSubscriber")
    Delivery = apps.get_model("publishing", "Delivery")
    WebhookEvent = apps.get_model("inbox", "WebhookEvent")
    WebhookItem = apps.get_model("inbox", "WebhookItem")

    admin = User.objects.create(username="alex", is_staff=True)
    territory = Territory.objects.create(name="Quartier des Halles")
    theme = Theme.objects.create(name="Environnement", slug="environnement")
    post = Post.objects.create(
        title="Collecte des sapins", text="La collecte des sapins commence lundi.", planned_at=ON
    )
    post_type, _ = ContentType.objects.get_or_create(app_label="cms", model="post")
    revision = Revision.objects.create(
        content_type=post_type,
        base_content_type=post_type,
        object_id=str(post.pk),
        created_at=ON,
        user=admin,
        object_str=post.title,
        content={"title": post.title, "text": post.text},
    )

    accounts = {}
    for network, name in [("x", "@ville"), ("facebook", "Ville"), ("whatsapp", "Infos Ville")]:
        account = SocialAccount.objects.create(
            network=network,
            display_name=name,
            handle=name,
            remote_id=f"{network}-1",
            token_expires_at=ON + dt.timedelta(days=60),
            cutoff=dt.timedelta(hours=1) if network == "x" else None,
            credentials=CREDENTIALS[network],
        )
        accounts[network] = account
        for history_type, status in [("+", "connected"), ("~", "needs_reconnect")]:
            HistoricalSocialAccount.objects.create(
                id=account.pk,
                network=network,
                display_name=name,
                handle=name,
                remote_id=account.remote_id,
                status=status,
                token_expires_at=account.token_expires_at,
                cutoff=account.cutoff,
                history_date=ON,
                history_type=history_type,
                history_user=admin,
            )
    SocialAccount.objects.filter(pk=accounts["x"].pk).update(status="needs_reconnect")

    Variant.objects.create(
        post=post,
        account=accounts["x"],
        sort_order=0,
        text="Les sapins, c'est lundi !",
        format="thread",
        thread_text="Deuxième partie\n---\nTroisième partie",
        image_numbers="1, 3",
        alt_texts="Un sapin\n",
        first_comment="Plus d'infos : https://ville.example/sapins",
    )
    Variant.objects.create(post=post, account=accounts["facebook"], sort_order=1)

    for network, state in [("x", "published"), ("facebook", "failed")]:
        publication = Publication.objects.create(
            post=post,
            revision=revision,
            account=accounts[network],
            scheduled_at=ON,
            state=state,
            remote_id="1860" if state == "published" else "",
            remote_url="https://x.com/ville/status/1860" if state == "published" else "",
            remote_parts=["1860", "1861"] if state == "published" else [],
            remote_data={"thread": True},
            published_at=ON if state == "published" else None,
            error="" if state == "published" else "Le jeton a expiré.",
            created_by=admin,
            tries=2,
        )
        HistoricalPublication.objects.create(
            id=publication.pk,
            post_id=post.pk,
            revision_id=revision.pk,
            account_id=accounts[network].pk,
            scheduled_at=ON,
            state="scheduled",
            remote_parts=[],
            remote_data={},
            created_at=ON,
            created_by_id=admin.pk,
            tries=0,
            history_date=ON,
            history_type="+",
            history_user=admin,
        )
        Attempt.objects.create(
            publication=publication,
            started_at=ON,
            finished_at=ON + dt.timedelta(seconds=2),
            outcome="transient",
            message="503",
            answer={"status": 503},
        )
        Attempt.objects.create(
            publication=publication,
            started_at=ON + dt.timedelta(minutes=1),
            outcome="published" if state == "published" else "auth_expired",
            answer={"data": {"id": "1860"}},
        )

    whatsapp = accounts["whatsapp"]
    setup = BroadcastSetup.objects.create(
        account=whatsapp, template_name="actualite_ville", channel_admins="+33612345678"
    )
    HistoricalBroadcastSetup.objects.create(
        id=setup.pk,
        account_id=whatsapp.pk,
        template_name=setup.template_name,
        history_date=ON,
        history_type="+",
        history_user=admin,
    )
    subscriber = Subscriber.objects.create(
        account=whatsapp,
        phone="+33611111111",
        opted_in_at=ON,
        source="keyword",
        territory=territory,
    )
    subscriber.themes.add(theme)
    HistoricalSubscriber.objects.create(
        id=subscriber.pk,
        account_id=whatsapp.pk,
        territory_id=territory.pk,
        phone=subscriber.phone,
        opted_in_at=ON,
        source="keyword",
        history_date=ON,
        history_type="+",
    )
    Delivery.objects.create(
        account=whatsapp,
        post=post,
        subscriber=subscriber,
        recipient=subscriber.phone,
        message_id="wamid.out-1",
        status="read",
    )

    event = WebhookEvent.objects.create(
        network="whatsapp",
        digest="a" * 64,
        payload={"object": "whatsapp_business_account", "entry": [{"id": "4004"}]},
    )
    WebhookItem.objects.create(network="whatsapp", key="message:wamid.in-1", event=event)

    # Administrators manage accounts and network versions, and read webhook events.
    group = Group.objects.create(name="Administration (old main)")
    for app_label, model, codenames in [
        ("publishing", "socialaccount", ["change_socialaccount", "view_socialaccount"]),
        ("publishing", "variant", ["change_variant"]),
        ("inbox", "webhookevent", ["view_webhookevent"]),
    ]:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        for codename in codenames:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": codename}
            )
            group.permissions.add(permission)
    admin.groups.add(group)
    return admin


def rows_by_table(apps, app_labels):
    """Every row of every table of these apps, as the models read them."""
    tables = {}
    for label in app_labels:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            tables[model._meta.db_table] = list(model._base_manager.order_by("pk").values())
    return tables


def raw_credentials(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, credentials FROM {table} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


def foreign_key_target(table, column):
    with connection.cursor() as cursor:
        return connection.introspection.get_relations(cursor, table)[column][1]


def content_type_ids(apps, keys):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return {
        key: ContentType.objects.filter(app_label=key[0], model=key[1])
        .values_list("pk", flat=True)
        .first()
        for key in keys
    }


def test_a_database_of_the_old_main_migrates_without_losing_a_row():
    old = migrate(OLD_MAIN)
    fill_old_main(old)
    before = rows_by_table(old, ["publishing", "inbox", "cms"])
    old_credentials = raw_credentials("publishing_socialaccount")

    new = migrate_to_latest()

    after = rows_by_table(new, ["networks", "cms", "publishing", "inbox"])
    for table in FILLED_TABLES:
        assert before[table], f"the old {table} was filled"
    for table, rows in before.items():
        new_rows = after[MOVED_TABLES.get(table, table)]
        # Columns a later migration adds are not the old main's business; those it
        # turned into another are compared below.
        fields = [field for field in (rows[0] if rows else {}) if field not in CONVERTED]
        kept = [{field: row[field] for field in fields} for row in new_rows] if rows else []
        assert kept == [{field: row[field] for field in fields} for row in rows], table
    # cms/0006: numbers and alt text lines became a choice of images; "1, 3" on a post
    # without images chose none of them, as the old editor sent.
    assert {row["text"]: row["media"] for row in after["cms_variant"]} == {
        "Les sapins, c'est lundi !": [],
        "": None,
    }
    # The tables moved, none was copied.
    tables = set(connection.introspection.table_names())
    assert set(MOVED_TABLES.values()) <= tables
    assert not set(MOVED_TABLES) & tables
    # The credentials are still encrypted at rest, as the same tokens, and read back.
    assert raw_credentials("networks_socialaccount") == old_credentials
    assert all(token.startswith("gAAAAA") for _, token in old_credentials)
    assert not any("secret" in token for _, token in old_credentials)
    SocialAccount = new.get_model("networks", "SocialAccount")
    assert sorted(SocialAccount.objects.values_list("network", "credentials")) == sorted(
        CREDENTIALS.items()
    )


def test_what_pointed_at_the_moved_tables_points_at_them_under_their_new_names():
    old = migrate(OLD_MAIN)
    fill_old_main(old)

    migrate_to_latest()

    assert foreign_key_target("cms_variant", "account_id") == "networks_socialaccount"
    assert foreign_key_target("cms_variant", "post_id") == "cms_post"
    for table in [
        "publishing_publication",
        "publishing_broadcastsetup",
        "publishing_subscriber",
        "publishing_delivery",
    ]:
        assert foreign_key_target(table, "account_id") == "networks_socialaccount", table
    assert foreign_key_target("networks_webhookitem", "event_id") == "networks_webhookevent"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []


def test_permissions_given_on_the_moved_models_are_kept_under_their_new_app():
    old = migrate(OLD_MAIN)
    admin = fill_old_main(old)
    old_content_types = content_type_ids(old, MOVED_CONTENT_TYPES)

    new = migrate_to_latest()

    # The same content types, renamed: permissions, log entries and references follow.
    assert content_type_ids(new, MOVED_CONTENT_TYPES.values()) == {
        MOVED_CONTENT_TYPES[key]: pk for key, pk in old_content_types.items()
    }
    assert all(old_content_types.values())
    assert set(content_type_ids(new, MOVED_CONTENT_TYPES).values()) == {None}
    user = get_user_model().objects.get(pk=admin.pk)
    assert {
        permission: user.has_perm(permission)
        for permission in [
            "networks.change_socialaccount",
            "networks.view_socialaccount",
            "cms.change_variant",
            "networks.view_webhookevent",
            "networks.delete_socialaccount",
            "publishing.change_socialaccount",
            "publishing.change_variant",
        ]
    } == {
        "networks.change_socialaccount": True,
        "networks.view_socialaccount": True,
        "cms.change_variant": True,
        "networks.view_webhookevent": True,
        "networks.delete_socialaccount": False,
        "publishing.change_socialaccount": False,
        "publishing.change_variant": False,
    }
