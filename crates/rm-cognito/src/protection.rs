//! Turning a user pool's deletion protection off without resetting anything else.
//!
//! UpdateUserPool is not a patch: "if you don't provide a value for an attribute, Amazon
//! Cognito sets it to its default value" (API reference). An UpdateUserPool that sends only
//! `DeletionProtection=INACTIVE` therefore wipes the pool's auto-verified attributes, messages,
//! email and SMS settings... and on a console-made pool (which has `email` both auto-verified
//! and in `AttributesRequireVerificationBeforeUpdate`) AWS refuses it outright: "All attributes
//! in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes"
//! (aws-nuke #477). So the request sends back the pool's current value of every updatable
//! field, as DescribeUserPool returned it, with two deliberate exceptions:
//!
//! - `MfaConfiguration` is left out. Measured on AWS, omitting it does not reset it, while
//!   sending `ON`/`OPTIONAL` back is refused on pools whose only MFA factor is a TOTP app or
//!   email ("SMS configuration ... required when MFA is required/optional"): MFA factors are
//!   SetUserPoolMfaConfig's business, which UpdateUserPool cannot express.
//! - `AdminCreateUserConfig.UnusedAccountValidityDays` is left out: it is deprecated, and AWS
//!   refuses a request that carries it ("Please use TemporaryPasswordValidityDays in
//!   PasswordPolicy instead of UnusedAccountValidityDays"), while DescribeUserPool still returns
//!   it. `Policies.PasswordPolicy.TemporaryPasswordValidityDays` (sent back) carries its value.
//! - `UserPoolTier` is left out: the API reference exempts it from the reset, and re-sending a
//!   billing tier gains nothing.

use anyhow::Context;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::update_user_pool::builders::UpdateUserPoolFluentBuilder;
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, DeletionProtectionType, UserPoolType,
};

/// The UpdateUserPool request that turns deletion protection off and sends back every other
/// updatable setting of `pool` (a DescribeUserPool answer) unchanged.
pub fn protection_off_request(client: &Client, pool: &UserPoolType) -> UpdateUserPoolFluentBuilder {
    let admin_create_user_config = pool.admin_create_user_config().map(|config| {
        AdminCreateUserConfigType::builder()
            .allow_admin_create_user_only(config.allow_admin_create_user_only())
            .set_invite_message_template(config.invite_message_template().cloned())
            .build()
    });
    client
        .update_user_pool()
        .set_user_pool_id(pool.id().map(str::to_string))
        .deletion_protection(DeletionProtectionType::Inactive)
        .set_pool_name(pool.name().map(str::to_string))
        .set_policies(pool.policies().cloned())
        .set_lambda_config(pool.lambda_config().cloned())
        .set_auto_verified_attributes(non_empty(pool.auto_verified_attributes()))
        .set_user_attribute_update_settings(pool.user_attribute_update_settings().cloned())
        .set_sms_verification_message(pool.sms_verification_message().map(str::to_string))
        .set_email_verification_message(pool.email_verification_message().map(str::to_string))
        .set_email_verification_subject(pool.email_verification_subject().map(str::to_string))
        .set_verification_message_template(pool.verification_message_template().cloned())
        .set_sms_authentication_message(pool.sms_authentication_message().map(str::to_string))
        .set_device_configuration(pool.device_configuration().cloned())
        .set_email_configuration(pool.email_configuration().cloned())
        .set_sms_configuration(pool.sms_configuration().cloned())
        .set_user_pool_tags(pool.user_pool_tags().cloned())
        .set_admin_create_user_config(admin_create_user_config)
        .set_user_pool_add_ons(pool.user_pool_add_ons().cloned())
        .set_account_recovery_setting(pool.account_recovery_setting().cloned())
}

/// Sends [`protection_off_request`].
pub async fn turn_off_deletion_protection(
    client: &Client,
    pool: &UserPoolType,
) -> anyhow::Result<()> {
    let id = pool.id().unwrap_or_default();
    protection_off_request(client, pool)
        .send()
        .await
        .with_context(|| format!("turning off deletion protection of user pool {id}"))?;
    Ok(())
}

fn non_empty<T: Clone>(items: &[T]) -> Option<Vec<T>> {
    (!items.is_empty()).then(|| items.to_vec())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_cognitoidentityprovider::types::{
        AccountRecoverySettingType, DefaultEmailOptionType, DeviceConfigurationType,
        EmailConfigurationType, LambdaConfigType, MessageTemplateType, PasswordPolicyType,
        RecoveryOptionNameType, RecoveryOptionType, SmsConfigurationType,
        UserAttributeUpdateSettingsType, UserPoolMfaType, UserPoolPolicyType,
        VerificationMessageTemplateType, VerifiedAttributeType,
    };

    use super::*;

    fn offline_client() -> Client {
        let config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(aws_sdk_cognitoidentityprovider::config::BehaviorVersion::latest())
            .region(aws_sdk_cognitoidentityprovider::config::Region::new(
                "us-east-1",
            ))
            .build();
        Client::from_conf(config)
    }

    fn console_made_pool() -> UserPoolType {
        UserPoolType::builder()
            .id("us-east-1_Console1")
            .name("easyshop-user-pool")
            .deletion_protection(DeletionProtectionType::Active)
            .mfa_configuration(UserPoolMfaType::Optional)
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .minimum_length(12)
                            .temporary_password_validity_days(3)
                            .build(),
                    )
                    .build(),
            )
            .lambda_config(
                LambdaConfigType::builder()
                    .pre_sign_up("arn:aws:lambda:us-east-1:123456789012:function:pre")
                    .build(),
            )
            .auto_verified_attributes(VerifiedAttributeType::Email)
            .user_attribute_update_settings(
                UserAttributeUpdateSettingsType::builder()
                    .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                    .build(),
            )
            .email_verification_subject("Your code")
            .email_verification_message("Code {####}")
            .verification_message_template(
                VerificationMessageTemplateType::builder()
                    .default_email_option(DefaultEmailOptionType::ConfirmWithCode)
                    .email_subject("Your code")
                    .build(),
            )
            .sms_authentication_message("Auth {####}")
            .device_configuration(
                DeviceConfigurationType::builder()
                    .challenge_required_on_new_device(true)
                    .build(),
            )
            .email_configuration(
                EmailConfigurationType::builder()
                    .reply_to_email_address("shop@example.com")
                    .build(),
            )
            .sms_configuration(
                SmsConfigurationType::builder()
                    .sns_caller_arn("arn:aws:iam::123456789012:role/service-role/CognitoIdpSNS")
                    .external_id("ext")
                    .build()
                    .unwrap(),
            )
            .set_user_pool_tags(Some(HashMap::from([(
                "project".to_string(),
                "easyshop".to_string(),
            )])))
            .admin_create_user_config(
                AdminCreateUserConfigType::builder()
                    .allow_admin_create_user_only(true)
                    .unused_account_validity_days(7)
                    .invite_message_template(
                        MessageTemplateType::builder()
                            .email_subject("Welcome")
                            .build(),
                    )
                    .build(),
            )
            .account_recovery_setting(
                AccountRecoverySettingType::builder()
                    .recovery_mechanisms(
                        RecoveryOptionType::builder()
                            .priority(1)
                            .name(RecoveryOptionNameType::VerifiedEmail)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
    }

    #[test]
    fn sends_back_every_updatable_setting_with_protection_off() {
        let pool = console_made_pool();
        let request = protection_off_request(&offline_client(), &pool);
        let input = request.as_input();
        assert_eq!(
            input.get_user_pool_id().as_deref(),
            Some("us-east-1_Console1")
        );
        assert_eq!(
            input.get_deletion_protection(),
            &Some(DeletionProtectionType::Inactive)
        );
        assert_eq!(input.get_pool_name().as_deref(), Some("easyshop-user-pool"));
        assert_eq!(input.get_policies().as_ref(), pool.policies());
        assert_eq!(input.get_lambda_config().as_ref(), pool.lambda_config());
        // The pair AWS checks against each other (the cognito-update-verification rule).
        assert_eq!(
            input.get_auto_verified_attributes().as_deref(),
            Some(pool.auto_verified_attributes())
        );
        assert_eq!(
            input.get_user_attribute_update_settings().as_ref(),
            pool.user_attribute_update_settings()
        );
        assert_eq!(
            input.get_email_verification_subject().as_deref(),
            pool.email_verification_subject()
        );
        assert_eq!(
            input.get_email_verification_message().as_deref(),
            pool.email_verification_message()
        );
        assert_eq!(
            input.get_verification_message_template().as_ref(),
            pool.verification_message_template()
        );
        assert_eq!(
            input.get_sms_authentication_message().as_deref(),
            pool.sms_authentication_message()
        );
        assert_eq!(
            input.get_device_configuration().as_ref(),
            pool.device_configuration()
        );
        assert_eq!(
            input.get_email_configuration().as_ref(),
            pool.email_configuration()
        );
        assert_eq!(
            input.get_sms_configuration().as_ref(),
            pool.sms_configuration()
        );
        assert_eq!(input.get_user_pool_tags().as_ref(), pool.user_pool_tags());
        assert_eq!(
            input.get_account_recovery_setting().as_ref(),
            pool.account_recovery_setting()
        );
    }

    #[test]
    fn leaves_out_what_aws_refuses_or_does_not_reset() {
        let pool = console_made_pool();
        let request = protection_off_request(&offline_client(), &pool);
        let input = request.as_input();
        // Not reset when omitted; refused when re-sent on TOTP-only pools.
        assert_eq!(input.get_mfa_configuration(), &None);
        assert_eq!(input.get_user_pool_tier(), &None);
        // Deprecated and refused when sent; the rest of the config is kept.
        let admin = input.get_admin_create_user_config().as_ref().unwrap();
        assert_eq!(admin.unused_account_validity_days(), 0);
        assert!(admin.allow_admin_create_user_only());
        assert_eq!(
            admin
                .invite_message_template()
                .and_then(|t| t.email_subject()),
            Some("Welcome")
        );
    }

    #[test]
    fn an_empty_auto_verified_list_is_not_sent_as_empty() {
        let pool = UserPoolType::builder().id("us-east-1_Plain1").build();
        let request = protection_off_request(&offline_client(), &pool);
        assert_eq!(request.as_input().get_auto_verified_attributes(), &None);
    }
}
