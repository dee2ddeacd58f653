Feature: Two tokens on every call
  Every M2M call carries an OAuth access token (Authorization: Bearer) and
  a session token (VZ-M2M-Token). A session expires after 20 idle minutes,
  an access token after an hour; a client renews both by itself.

  Background:
    Given the simulator is reset

  @http @simulator
  Scenario: A call without an access token
    When a caller lists the callbacks of account "1223334444-00001" without an access token
    Then the answer is 401 with fault "900902"

  @http @simulator
  Scenario: A call with a wrong access token
    When a caller lists the callbacks of account "1223334444-00001" with access token "not-a-token"
    Then the answer is 401 with fault "900901"

  @http @simulator
  Scenario: A call without a session token
    When a caller lists the callbacks of account "1223334444-00001" without a session token
    Then the answer is 400 with error "UnifiedWebService.REQUEST_FAILED.SessionToken.Format" naming "VZ-M2M-Token"

  @http @simulator
  Scenario: A call after 20 idle minutes
    Given a caller logged in
    When 20 minutes pass
    And the caller lists the callbacks of account "1223334444-00001"
    Then the answer is 400 with error "UnifiedWebService.REQUEST_FAILED.SessionToken.Expired" naming "expired"

  @client @refusals
  Scenario: Wrong app credentials
    Given the client uses app secret "wrong-secret"
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the request is refused with status 401 and error "invalid_client"

  @client @tokens
  Scenario: The client recovers from an expired session
    Given the client's listener is registered for account "1223334444-00001"
    When 25 minutes pass
    And the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the request is accepted
    And the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"

  @client @tokens
  Scenario: The client recovers from an expired access token
    Given the client's listener is registered for account "1223334444-00001"
    When 61 minutes pass
    And the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the request is accepted
    And the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"
